import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { RunningNode } from '../node.js';
import { startTestNode, testConfig } from '../../../test/support/node.js';
import { healthPath } from './health.js';
import type { PathHandler } from './listener.js';
import type { ServiceContext } from './service-context.js';

type State = ReturnType<ServiceContext['state']>;

/** The handler alone on a plain HTTP server, with a node state the test sets. */
async function healthServer(state: () => State): Promise<{ url: string; server: Server }> {
  const handler = (await healthPath({ type: 'health' }, { state, router: { backplane: undefined } } as unknown as ServiceContext)) as PathHandler;
  const server = createServer((request, response) => handler.request!(request, response, ''));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

describe('health path service', () => {
  const servers: Server[] = [];
  let node: RunningNode | undefined;
  after(async () => {
    servers.forEach((server) => server.close());
    await node?.stop();
  });

  it('answers 200 {"status":"serving"} on a running node, also to HEAD, and is never cached', async () => {
    const config = testConfig();
    config.listeners[0]!.paths['/health'] = { type: 'health' };
    node = await startTestNode(config);
    const url = `http://127.0.0.1:${node.ports.get('test')}/health`;
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await response.json(), { status: 'serving' });
    const head = await fetch(url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.equal((await fetch(url, { method: 'POST' })).status, 405);
  });

  it('answers 503 with the state while starting or stopping, and follows the state as it changes', async () => {
    let state: State = 'starting';
    const { url, server } = await healthServer(() => state);
    servers.push(server);
    const starting = await fetch(url);
    assert.equal(starting.status, 503);
    assert.deepEqual(await starting.json(), { status: 'starting' });
    state = 'serving';
    assert.equal((await fetch(url)).status, 200);
    state = 'stopping';
    const stopping = await fetch(url, { method: 'HEAD' });
    assert.equal(stopping.status, 503);
    assert.deepEqual(await (await fetch(url)).json(), { status: 'stopping' });
  });
});
