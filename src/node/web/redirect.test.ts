import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../node.js';
import { startTestNode, testConfig } from '../../../test/support/node.js';

describe('redirect path service', () => {
  let node: RunningNode;
  let base: string;

  before(async () => {
    const config = testConfig();
    const paths = config.listeners[0]!.paths;
    paths['/old'] = { type: 'redirect', url: 'https://example.com/new?x=1', status: 302 };
    paths['/moved'] = { type: 'redirect', url: '/ws-info', status: 308 };
    node = await startTestNode(config);
    base = `http://127.0.0.1:${node.ports.get('test')}`;
  });
  after(() => node?.stop());

  it('sends every method on with the configured status and Location', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const response = await fetch(`${base}/old`, { method, redirect: 'manual' });
      assert.equal(response.status, 302, method);
      assert.equal(response.headers.get('location'), 'https://example.com/new?x=1');
    }
    const permanent = await fetch(`${base}/moved`, { method: 'PUT', body: 'data', redirect: 'manual' });
    assert.equal(permanent.status, 308);
    assert.equal(permanent.headers.get('location'), '/ws-info');
  });

  it('answers HEAD with the redirect and no body', async () => {
    const response = await fetch(`${base}/old`, { method: 'HEAD', redirect: 'manual' });
    assert.equal(response.status, 302);
    assert.equal(await response.text(), '');
  });
});
