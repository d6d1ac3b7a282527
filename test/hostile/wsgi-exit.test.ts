import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fetch } from 'undici';
import type { WsgiService } from '../../src/config/model.js';
import { skipWithoutDebian } from '../support/debian.js';
import { gauges, gaugesBackTo } from '../support/fuzz.js';
import { startTestNode, testConfig } from '../support/node.js';

/**
 * A WSGI app that ends its own process in the middle of a request (os._exit): that request gets
 * a 502, another path's app and the node go on, the app's host is started again by itself, and
 * no request stays counted in flight.
 */

const app = `
import os

def application(environ, start_response):
    if environ['PATH_INFO'] == '/die':
        os._exit(1)
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [environ['SCRIPT_NAME'].encode()]
`;

const inFlight = ['junction_http_forward_requests_in_flight'] as const;

describe('a WSGI app that exits in the middle of a request', { skip: skipWithoutDebian('python3-twisted') }, () => {
  const home = mkdtempSync(join(tmpdir(), 'junction-wsgi-exit-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  it('answers that request 502, leaves the other path serving, and is started again', { timeout: 120_000 }, async () => {
    writeFileSync(join(home, 'exiting.py'), app);
    const config = testConfig();
    const wsgi: WsgiService = {
      type: 'wsgi', module: 'exiting', object: 'application', minThreads: 0, maxThreads: 4,
      python: { at: 'workers[0]', executable: '/usr/bin/python3', interpreterGiven: false, pythonpath: [home], env: { inherit: true, vars: {} }, workdir: home },
      options: { timeoutMs: 10_000, maxRequestsInFlight: 8 },
    };
    config.listeners[0]!.paths['/app'] = wsgi;
    config.listeners[0]!.paths['/other'] = { ...wsgi };
    const node = await startTestNode(config);
    try {
      const base = `http://127.0.0.1:${node.ports.get('test')}`;
      const get = async (path: string) => {
        const answer = await fetch(`${base}${path}`);
        return { status: answer.status, body: await answer.text() };
      };
      assert.deepEqual(await get('/app/ok'), { status: 200, body: '/app' });
      const baseline = gauges(node.metrics.exposition(), inFlight);

      const died = await get('/app/die');
      assert.equal(died.status, 502);
      assert.equal((JSON.parse(died.body) as { error: string }).error, 'upstream_failed', died.body);
      assert.deepEqual(await get('/other/ok'), { status: 200, body: '/other' }, 'the other path\'s app is its own process');
      const meanwhile = await get('/app/ok');
      assert.ok(meanwhile.status === 502 || meanwhile.status === 200, meanwhile.body);

      let back = meanwhile;
      for (let i = 0; i < 100 && back.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        back = await get('/app/ok');
      }
      assert.deepEqual(back, { status: 200, body: '/app' }, 'started again without a reload');
      await gaugesBackTo(() => node.metrics.exposition(), baseline, inFlight);
    } finally {
      await node.stop();
    }
  });
});
