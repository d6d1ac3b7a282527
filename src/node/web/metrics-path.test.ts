import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../node.js';
import { openAutobahn } from '../../../test/support/autobahn.js';
import { startTestNode, testConfig } from '../../../test/support/node.js';

describe('metrics path service', () => {
  let node: RunningNode & { url: string };
  let url: string;

  before(async () => {
    const config = testConfig();
    config.listeners[0]!.paths['/metrics'] = { type: 'metrics' };
    node = await startTestNode(config);
    url = `http://127.0.0.1:${node.ports.get('test')}/metrics`;
  });
  after(() => node?.stop());

  it('serves the Prometheus text exposition, current at each request', async () => {
    const client = await openAutobahn(node.url);
    try {
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const text = await response.text();
      const helpLines = (exposition: string) => exposition.split('\n').filter((line) => line.startsWith('# HELP'));
      assert.deepEqual(helpLines(text), helpLines(node.metrics.exposition()));
      assert.match(text, /^# TYPE junction_sessions gauge$/m);
      assert.match(text, /^junction_sessions\{origin="client",realm="realm1"\} 1$/m);
    } finally {
      await client.close();
    }
  });

  it('answers HEAD and refuses other methods', async () => {
    assert.equal((await fetch(url, { method: 'HEAD' })).status, 200);
    const refused = await fetch(url, { method: 'DELETE' });
    assert.equal(refused.status, 405);
    assert.equal(refused.headers.get('allow'), 'GET, HEAD');
  });
});
