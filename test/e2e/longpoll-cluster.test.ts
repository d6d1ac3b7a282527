import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OpenSession } from '../support/autobahn.js';
import { openRouterConfig, startClusterNodes } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { testRun } from '../support/test-run.js';
import { FreshLongPoll, freshRequest, freshSse } from './support/fresh-http.js';
import { RunningNginx } from './support/nginx-server.js';

/**
 * Long-poll and SSE with no sticky sessions: every request on a connection of its own, so the
 * parent of --workers, or a round-robin nginx upstream over two Redis-backed nodes, spreads a
 * long-poll transport's requests over both router processes. A request that lands on the node
 * without the transport is relayed to the one that holds it.
 */

const run = testRun();

function config(cluster: object | undefined): object {
  return openRouterConfig(
    { ws: { type: 'websocket' }, lp: { type: 'longpoll', options: { request_timeout: 2 } }, sse: { type: 'sse', realm: 'realm1' } }, cluster);
}

const HELLO = [1, 'realm1', { roles: { subscriber: {}, publisher: {} } }];

/**
 * A long-poll session joins, subscribes, receives events published on a WebSocket, and closes:
 * a dozen requests, each on a fresh connection, so both processes serve some of them.
 */
async function longPollSession(base: string, publisher: OpenSession): Promise<FreshLongPoll> {
  const poll = await FreshLongPoll.open(base);
  await poll.send(HELLO);
  const welcome = await poll.receive();
  assert.equal(welcome[0], 2, `WELCOME, got ${JSON.stringify(welcome)}`);
  await poll.send([32, 1, {}, 'lp.news']);
  const subscribed = await poll.receive();
  assert.equal(subscribed[0], 33, `SUBSCRIBED, got ${JSON.stringify(subscribed)}`);
  // The subscription reaches the other node asynchronously: publish until an event comes.
  const events: unknown[] = [];
  for (let i = 0; i < 20 && events.length === 0; i++) {
    await publisher.session.publish('lp.news', ['first'], {}, { acknowledge: true });
    const answer = await poll.operation('receive');
    if (answer.status === 200) events.push(JSON.parse(answer.body));
  }
  assert.equal((events[0] as unknown[])?.[0], 36, 'an EVENT arrived');
  for (let i = 0; i < 6; i++) {
    await publisher.session.publish('lp.news', [i], {}, { acknowledge: true });
    const event = await poll.receive();
    assert.equal(event[0], 36);
  }
  return poll;
}

describe('long-poll and SSE with --workers 2 (no sticky sessions)', () => {
  it('relays each request to the worker holding the transport; a transport of a dead worker is refused clearly', async () => {
    const { junction, workers } = await run.startWorkers(0, await run.configFile(config(undefined), 'junction-longpoll-cluster-'));
    const port = await junction.port();
    const publisher = await run.open(`ws://127.0.0.1:${port}/ws`);
    const base = `http://127.0.0.1:${port}/lp`;
    const poll = await longPollSession(base, publisher);
    const owner = Buffer.from(poll.transport.split('.')[0]!, 'base64url').toString();
    assert.ok(workers.has(owner), `the transport id names its worker (${owner})`);

    // SSE: streams on fresh connections (so on both workers) hear a publication made on a WebSocket.
    const streams = [freshSse(`http://127.0.0.1:${port}/sse?topic=sse.news`, /from-ws/), freshSse(`http://127.0.0.1:${port}/sse?topic=sse.news`, /from-ws/)];
    const publishing = setInterval(() => void publisher.session.publish('sse.news', ['from-ws']), 100);
    try {
      for (const text of await Promise.all(streams)) assert.match(text, /data: \{"args":\["from-ws"\]/);
    } finally {
      clearInterval(publishing);
    }

    // Its worker dies: every request for it, wherever it lands, gets a clear 404.
    workers.get(owner)!.signal('SIGKILL');
    await junction.waitForLine((line) => line.msg === 'worker died; the other workers dropped its subscriptions; starting it again' && line.node === owner);
    for (let i = 0; i < 4; i++) {
      const answer = await poll.operation('receive');
      assert.equal(answer.status, 404, answer.body);
      assert.equal((JSON.parse(answer.body) as { error: string }).error, 'no_such_transport');
    }
  });
});

const skipCluster = skipWithoutDebian('redis-server') || skipWithoutDebian('nginx');

describe('long-poll and SSE through a round-robin nginx over two Redis nodes', { skip: skipCluster }, () => {
  it('serves long-poll without sticky sessions, and SSE streams carry events published on either node', async () => {
    const redis = await run.startRedis();
    const file = await run.configFile(config({ redis: { url: '${REDIS_URL}' }, heartbeat: 200, lease: 1000 }), 'junction-longpoll-cluster-');
    const ports = await startClusterNodes(run.running, file, 2, { REDIS_URL: redis.url });
    const nginx = await RunningNginx.start((port) => `
  upstream junction { server 127.0.0.1:${ports[0]}; server 127.0.0.1:${ports[1]}; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://junction;
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_read_timeout 1h;
      proxy_buffering off;
    }
  }`);
    run.onStop(() => nginx.stop());

    const publisher = await run.open(`ws://127.0.0.1:${ports[0]}/ws`);
    const poll = await longPollSession(`${nginx.url}/lp`, publisher);
    const closed = await poll.operation('close');
    assert.equal(closed.status, 204, closed.body);

    // SSE: one stream per node (round robin), each hears a publication made on the first node.
    const publisherB = await run.open(`ws://127.0.0.1:${ports[1]}/ws`);
    const streams = [freshSse(`${nginx.url}/sse?topic=sse.news`, /from-b/), freshSse(`${nginx.url}/sse?topic=sse.news`, /from-b/)];
    const publishing = setInterval(() => void publisherB.session.publish('sse.news', ['from-b']), 100);
    try {
      for (const text of await Promise.all(streams)) assert.match(text, /data: \{"args":\["from-b"\]/);
    } finally {
      clearInterval(publishing);
    }
    const status = await freshRequest(`${nginx.url}/lp/open`, 'POST', JSON.stringify({ protocols: ['wamp.2.json'] }));
    assert.equal(status.status, 200);
  });
});
