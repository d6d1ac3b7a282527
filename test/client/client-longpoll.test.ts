/**
 * junction/client over HTTP long-poll against a real node: pub/sub and RPC (JSON, MessagePack,
 * CBOR) with a WebSocket peer; `transports` falling back to long-poll when the WebSocket is
 * refused (upgrade answered 404, connection refused) and not when the router ABORTs; close ending
 * the held receive; reconnection after the node restarts, from the first transport again.
 * Which transport a session uses is read from the router (wamp.session.get).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, TransportError, WampError, type Session, type Status } from '../../src/client/index.js';
import type { JunctionConfig } from '../../src/config/model.js';
import { freePort } from '../support/cli.js';
import { startTestNode, testConfig, testLongPoll, webSocketPath } from '../support/node.js';
import { waitFor } from '../support/wait.js';

// Short, so that held receives time out (204) and are polled again during the tests.
const longPoll = testLongPoll({ requestTimeoutMs: 200 });

/** testConfig() with long-poll at /lp; `alsoWebSocketAt` adds the WebSocket service at a second path. */
function config(port = 0, alsoWebSocketAt?: string): JunctionConfig {
  const base = testConfig();
  const listener = base.listeners[0]!;
  listener.endpoint.port = port;
  listener.paths['/lp'] = longPoll;
  if (alsoWebSocketAt) listener.paths[alsoWebSocketAt] = webSocketPath(base);
  return base;
}

const fast = { initialDelay: 20, maxDelay: 200, jitter: 0 };

/** What the router says of a session's transport. */
async function transportOf(peer: Session, session: Session): Promise<{ type: string; serializer: string }> {
  const { args } = await peer.call<[number], {}, [{ transport: { type: string; serializer: string } }]>('wamp.session.get', [session.id]);
  return args[0].transport;
}

/** Resolves with the first `count` payloads a handler receives. */
function collector<T>(count: number): { handler: (args: unknown[]) => void; done: Promise<T[]> } {
  const seen: T[] = [];
  let finish!: (values: T[]) => void;
  const done = new Promise<T[]>((resolve) => (finish = resolve));
  return {
    handler: (args) => {
      seen.push(args[0] as T);
      if (seen.length === count) finish(seen);
    },
    done,
  };
}

/** Records a session's statuses until `last` matches. */
function statusesUntil(session: Session, last: (status: Status) => boolean): Promise<Status[]> {
  const stream = session.status();
  return (async () => {
    const seen: Status[] = [];
    for await (const status of stream) {
      seen.push(status);
      if (last(status)) break;
    }
    return seen;
  })();
}

describe('client over long-poll', { timeout: 30_000 }, () => {
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let http: string;
  let peer: Session;
  const cleanup: (() => Promise<unknown>)[] = [];

  const opened = (): number => Number(/junction_longpoll_opened_total (\d+)/.exec(node.metrics.exposition())?.[1] ?? 0);
  const transportsOpen = (): number => Number(/junction_longpoll_transports\{[^}]*\} (\d+)/.exec(node.metrics.exposition())?.[1] ?? -1);

  before(async () => {
    node = await startTestNode(config());
    http = `http://127.0.0.1:${node.ports.get('test')}`;
    peer = await connect({ url: node.url, realm: 'realm1', reconnect: false });
  });

  after(async () => {
    for (const step of cleanup.reverse()) await step();
    await peer?.leave();
    await node?.stop();
  });

  async function overLongPoll(serializer: 'json' | 'msgpack' | 'cbor' = 'json'): Promise<Session> {
    const session = await connect({ transports: [{ type: 'longpoll', url: `${http}/lp` }], realm: 'realm1', serializers: [serializer], reconnect: false });
    cleanup.push(() => session.leave());
    return session;
  }

  it('publishes, subscribes, calls and registers over long-poll with a WebSocket peer, messages in order', async () => {
    const session = await overLongPoll();
    const { type, serializer } = await transportOf(peer, session);
    assert.deepEqual([type, serializer], ['longpoll', 'json']);

    // Router -> long-poll: events in order, across polls that timed out empty.
    const down = collector<number>(3);
    await session.subscribe('lp.down', down.handler);
    for (const n of [1, 2, 3]) await peer.publish('lp.down', [n], {}, { acknowledge: true });
    assert.deepEqual(await down.done, [1, 2, 3]);

    // Long-poll -> router: a burst of unacknowledged publications arrives whole and in order.
    const burst = 60;
    const up = collector<number>(burst);
    await peer.subscribe('lp.up', up.handler);
    for (let n = 0; n < burst - 1; n++) void session.publish('lp.up', [n]);
    await session.publish('lp.up', [burst - 1], {}, { acknowledge: true });
    assert.deepEqual(await up.done, Array.from({ length: burst }, (_, n) => n));

    await session.register('lp.mul', ([x, y]: [number, number]) => x * y);
    assert.deepEqual((await peer.call('lp.mul', [6, 7])).args, [42]);
    await peer.register('lp.add', ([x, y]: [number, number]) => x + y);
    assert.deepEqual((await session.call('lp.add', [2, 3])).args, [5]);
    await assert.rejects(session.call('lp.missing'), (error: unknown) => error instanceof WampError && error.uri === 'wamp.error.no_such_procedure');
  });

  for (const serializer of ['msgpack', 'cbor'] as const) {
    it(`carries binary payloads over long-poll in ${serializer}`, async () => {
      await peer.register(`lp.echo.${serializer}`, ([bytes]: [Uint8Array]) => bytes);
      const session = await overLongPoll(serializer);
      assert.equal((await transportOf(peer, session)).serializer, serializer);
      const bytes = Uint8Array.from({ length: 300 }, (_, n) => n % 256);
      const { args } = await session.call<[Uint8Array], {}, [Uint8Array]>(`lp.echo.${serializer}`, [bytes]);
      assert.deepEqual([...args[0]], [...bytes]);
    });
  }

  it('falls back to long-poll when the WebSocket upgrade is refused (404), and works against a WebSocket peer', async () => {
    const before = opened();
    const session = await connect({
      transports: [{ type: 'websocket', url: `${node.url.replace(/\/ws$/, '')}/no-websocket-here` }, { type: 'longpoll', url: `${http}/lp` }],
      realm: 'realm1',
      reconnect: false,
    });
    cleanup.push(() => session.leave());
    assert.equal((await transportOf(peer, session)).type, 'longpoll');
    assert.equal(opened(), before + 1);
    const events = collector<string>(1);
    await session.subscribe('fallback.news', events.handler);
    await peer.publish('fallback.news', ['to the long-poll client'], {}, { acknowledge: true });
    assert.deepEqual(await events.done, ['to the long-poll client']);
    await peer.register('fallback.echo', ([value]: [string]) => value);
    assert.deepEqual((await session.call('fallback.echo', ['back'])).args, ['back']);
  });

  it('falls back to long-poll when the WebSocket connection is refused', async () => {
    const closedPort = await freePort();
    const session = await connect({
      transports: [{ type: 'websocket', url: `ws://127.0.0.1:${closedPort}/ws` }, { type: 'longpoll', url: `${http}/lp` }],
      realm: 'realm1',
      reconnect: false,
    });
    cleanup.push(() => session.leave());
    assert.equal((await transportOf(peer, session)).type, 'longpoll');
  });

  it('uses the WebSocket when it works: long-poll is never opened', async () => {
    const before = opened();
    const session = await connect({ transports: [{ type: 'websocket', url: node.url }, { type: 'longpoll', url: `${http}/lp` }], realm: 'realm1', reconnect: false });
    cleanup.push(() => session.leave());
    assert.equal((await transportOf(peer, session)).type, 'websocket');
    assert.equal(opened(), before);
  });

  it("does not fall back when the router refuses the session (ABORT): that is the router's answer", async () => {
    const before = opened();
    await assert.rejects(
      connect({ transports: [{ type: 'websocket', url: node.url }, { type: 'longpoll', url: `${http}/lp` }], realm: 'no.such.realm', reconnect: false }),
      (error: unknown) => error instanceof WampError && error.uri === 'wamp.error.no_such_realm',
    );
    assert.equal(opened(), before);
  });

  it('rejects with one TransportError saying what each transport met when none connects', async () => {
    await assert.rejects(
      connect({
        transports: [{ type: 'websocket', url: `${node.url}-nothing` }, { type: 'longpoll', url: `${http}/lp-nothing` }],
        realm: 'realm1',
        reconnect: false,
      }),
      (error: unknown) =>
        error instanceof TransportError &&
        /^websocket: cannot connect to ws:\/\/.*\/ws-nothing: .*404/.test(error.message) &&
        /; longpoll: cannot open a long-poll transport at http:\/\/.*\/lp-nothing: answered 404: nothing is served at \/lp-nothing\/open$/.test(error.message),
    );
  });

  it('close ends the held receive and closes the transport on the router: no request is left hanging', async (t) => {
    // The client uses the platform fetch: count the requests it has under way.
    const platformFetch = globalThis.fetch;
    const requests: { operation: string; status?: number; settled: boolean }[] = [];
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = String(input);
      const request: (typeof requests)[number] = { operation: url.slice(url.lastIndexOf('/') + 1), settled: false };
      requests.push(request);
      try {
        const response = await platformFetch(input, init);
        request.status = response.status;
        return response;
      } finally {
        request.settled = true;
      }
    }) as typeof fetch;
    t.after(() => {
      globalThis.fetch = platformFetch;
    });

    const transportsBefore = transportsOpen();
    const session = await connect({ transports: [{ type: 'longpoll', url: `${http}/lp` }], realm: 'realm1', reconnect: false });
    assert.equal(transportsOpen(), transportsBefore + 1);
    // An idle session: its receive is held by the router.
    await waitFor(() => requests.some((request) => request.operation === 'receive' && !request.settled), 'a held receive');

    await session.leave();
    await waitFor(() => requests.every((request) => request.settled), 'every request to end');
    const close = requests.filter((request) => request.operation === 'close');
    assert.deepEqual(close.map((request) => request.status), [204]);
    assert.equal(transportsOpen(), transportsBefore);
    assert.deepEqual([...new Set(requests.map((request) => request.operation))].sort(), ['close', 'open', 'receive', 'send']);
  });
});

describe('client over long-poll when the node restarts', { timeout: 30_000 }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('reconnects over long-poll (the WebSocket is still refused) and restores subscriptions and registrations', async () => {
    let node = await startTestNode(config());
    const port = node.ports.get('test')!;
    const http = `http://127.0.0.1:${port}`;
    const transports = [{ type: 'websocket', url: `ws://127.0.0.1:${port}/no-websocket-here` }, { type: 'longpoll', url: `${http}/lp` }] as const;
    const session = await connect({ transports, realm: 'realm1', reconnect: fast });
    cleanup.push(() => session.leave());
    const events: unknown[] = [];
    let eventArrived!: () => void;
    await session.subscribe('restart.news', (args) => {
      events.push(args[0]);
      eventArrived();
    });
    await session.register('restart.echo', ([value]: [unknown]) => value);

    const restored = statusesUntil(session, (status) => status.type === 'restored');
    await node.stop();
    node = await startTestNode(config(port));
    cleanup.unshift(() => node.stop());
    const statuses = await restored;

    const open = statuses.filter((status) => status.type === 'open');
    assert.deepEqual(open.map(({ transport, url }) => [transport, url]), [['longpoll', `${http}/lp`]]);
    assert.deepEqual(statuses.at(-1), { type: 'restored', subscriptions: 1, registrations: 1, failures: [] });
    // Each attempt tried the WebSocket first.
    const connecting = statuses.filter((status) => status.type === 'connecting');
    const lastAttempt = connecting.at(-1)!.attempt;
    assert.deepEqual(connecting.filter((status) => status.attempt === lastAttempt).map((status) => status.transport), ['websocket', 'longpoll']);

    const other = await connect({ url: node.url, realm: 'realm1', reconnect: false });
    cleanup.push(() => other.leave());
    assert.equal((await transportOf(other, session)).type, 'longpoll');
    const delivered = new Promise<void>((resolve) => (eventArrived = resolve));
    await other.publish('restart.news', ['after restart'], {}, { acknowledge: true });
    await delivered;
    assert.deepEqual(events, ['after restart']);
    assert.deepEqual((await other.call('restart.echo', ['ping'])).args, ['ping']);
  });

  it('starts again from the first transport after a loss: back on the WebSocket once it works', async () => {
    // First the node has no WebSocket at /ws2: the session falls back to long-poll.
    let node = await startTestNode(config());
    const port = node.ports.get('test')!;
    const ws2 = `ws://127.0.0.1:${port}/ws2`;
    const session = await connect({ transports: [{ type: 'websocket', url: ws2 }, { type: 'longpoll', url: `http://127.0.0.1:${port}/lp` }], realm: 'realm1', reconnect: fast });
    cleanup.push(() => session.leave());
    const watcher = await connect({ url: node.url, realm: 'realm1', reconnect: false });
    assert.equal((await transportOf(watcher, session)).type, 'longpoll');
    await watcher.leave();

    const reopened = statusesUntil(session, (status) => status.type === 'open');
    await node.stop();
    node = await startTestNode(config(port, '/ws2'));
    cleanup.unshift(() => node.stop());
    const open = (await reopened).at(-1)!;
    assert.ok(open.type === 'open');
    assert.deepEqual([open.transport, open.url], ['websocket', ws2]);

    const other = await connect({ url: node.url, realm: 'realm1', reconnect: false });
    cleanup.push(() => other.leave());
    assert.equal((await transportOf(other, session)).type, 'websocket');
  });
});
