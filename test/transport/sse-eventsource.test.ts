/**
 * The `eventsource` npm client (the WHATWG EventSource for Node) against an SSE path, with events
 * published by an HTTP POST to the publisher path: what a REST backend and a listener without any
 * WAMP library do. When its stream ends, the client reconnects by itself with Last-Event-ID and
 * gets the events it missed from event history, then live ones, each once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventSource } from 'eventsource';
import type { JunctionConfig } from '../../src/config/model.js';
import type { RunningNode } from '../../src/node/node.js';
import { InternalSession } from '../../src/router/internal-session.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';

function config(): JunctionConfig {
  const config = testConfig();
  config.realms[0]!.store.eventHistory = [{ uri: 'feed', match: 'exact', limit: 50, limitBytes: 0 }];
  const paths = config.listeners[0]!.paths;
  paths['/publish'] = { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { postBodyLimit: 8192, requireIp: [], requireTls: false } };
  paths['/sse'] = {
    type: 'sse', realm: 'realm1',
    auth: { anonymous: { type: 'static', role: 'anonymous', authid: 'feed-listener' } },
    cookieName: 'junction_ticket', heartbeatMs: 15_000, maxTopics: 8, maxBufferedBytes: 1_048_576, maxStreams: 10_000, maxPerAddress: 100, resumeWaitMs: 1000,
  };
  return config;
}

interface Received {
  id: string;
  data: { args: unknown[]; kwargs: Record<string, unknown> };
}

describe('SSE with the eventsource npm client and the HTTP publisher', { timeout: 30_000 }, () => {
  let node: RunningNode;
  let base: string;
  let source: EventSource | undefined;

  before(async () => {
    node = await startTestNode(config());
    base = `http://127.0.0.1:${node.ports.get('test')}`;
  });

  after(async () => {
    source?.close();
    await node?.stop();
  });

  async function post(topic: string, args: unknown[]): Promise<number> {
    const response = await fetch(`${base}/publish`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic, args }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { id: number }).id;
  }

  it('receives events POSTed to the publisher, and resumes after a dropped stream without loss or repeats', async () => {
    const received: Received[] = [];
    let opens = 0;
    let errors = 0;
    source = new EventSource(`${base}/sse?topic=feed`);
    source.addEventListener('open', () => opens++);
    source.addEventListener('error', () => errors++);
    source.addEventListener('feed', (event) => received.push({ id: event.lastEventId.split(':')[0]!, data: JSON.parse(event.data) as Received['data'] }));
    await waitFor(() => opens === 1, 'the stream to open');

    const first = await post('feed', [{ n: 1 }]);
    await waitFor(() => received.length === 1, 'the first event');
    assert.deepEqual(received[0], { id: String(first), data: { args: [{ n: 1 }], kwargs: {} } });

    // The router ends the listener's session: the stream ends and EventSource reconnects on its own.
    const admin = await InternalSession.join((peer, gate, options) => node.router.attach(peer, gate, options), 'realm1',
      { authid: 'admin', authrole: 'anonymous' });
    assert.equal(((await admin.call('wamp.session.kill_by_authid', ['feed-listener'])).args[0] as number[]).length, 1);
    await waitFor(() => errors === 1, 'the client to notice the end of the stream');
    // Published while the client is away (it waits for the retry advice before reconnecting).
    const missed = [await post('feed', [{ n: 2 }]), await post('feed', [{ n: 3 }])];
    await waitFor(() => opens === 2, 'the client to reconnect', 10_000);
    await waitFor(() => received.length === 3, 'the missed events, from history');
    const live = await post('feed', [{ n: 4 }]);
    await waitFor(() => received.length === 4, 'the live event after the resume');

    assert.deepEqual(received.map((event) => event.id), [first, ...missed, live].map(String));
    assert.deepEqual(received.map((event) => (event.data.args[0] as { n: number }).n), [1, 2, 3, 4]);
    admin.leave();
  });
});
