import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { scramPrincipal } from '../../src/auth/scram-password.js';
import { loadDocument } from '../../src/config/test-support.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { MessageType as T } from '../../src/protocol/codes.js';
import { silentLogger } from '../../src/router/log.js';
import { clientNonce } from '../auth/support/scram-client.js';
import { gaugeSeries, knownCaches, leaves as leaveAll, LeakWatch } from '../support/leak-census.js';
import { hello, leakDocument, LeakBackend, loopback, pause, rawSocketPeer, webSocketPeer, type VanishingPeer } from '../support/leak-peers.js';
import { waitFor } from '../support/wait.js';

/**
 * The leak matrix, WAMP v2 over WebSocket and RawSocket: a client enters a half-done state (a
 * handshake with a challenge or a dynamic authenticator pending, a call in flight as caller or as
 * callee, progressive results flowing, a cancel pending, a call waiting in a call queue, an action
 * waiting for a dynamic authorizer, retained events or an event history waiting to be read), then
 * vanishes: its socket destroyed, reset, or closed cleanly, in turn. After some hundreds of
 * repeats every gauge is back where it was and no table reachable from the router has grown
 * (test/support/leak-census.ts): the state of these steps is the router's own.
 */

const REPEATS = 200;
/** Retained topics of RETAINED bytes each: more than a connection's buffers and the kernel's (4 MB on loopback) take at once. */
const RETAINED_TOPICS = 400;
const RETAINED = 'r'.repeat(32_000);
/** Events in the history, of HISTORY bytes each. */
const BACKLOG = 300;
const HISTORY = 'h'.repeat(8_000);
const SEND_BUFFER = 256 * 1024;
const scramUser = await scramPrincipal('secret3', { kdf: 'argon2id13', iterations: 2, memory: 64 });
const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
const document = leakDocument([
  {
    type: 'web', id: 'web', endpoint: loopback,
    paths: {
      // Small send buffers: a replay is paced past half of them (its waiting events then show).
      ws: { type: 'websocket', options: { max_buffered_bytes: SEND_BUFFER } },
      sign: {
        type: 'websocket',
        auth: {
          wampcra: { type: 'static', users: { joe: { secret: 'secret1', role: 'anonymous' } } },
          cryptosign: { type: 'static', principals: { alice: { authorized_keys: [publicKey], role: 'anonymous' } } },
          scram: { type: 'static', principals: { sam: { ...scramUser, role: 'anonymous' } } },
        },
      },
      dynamic: { type: 'websocket', auth: { wampcra: { type: 'dynamic', authenticator: 'test.authenticate' } } },
      user: { type: 'websocket', auth: { anonymous: { type: 'static', role: 'user' } } },
    },
  },
  { type: 'rawsocket', id: 'raw', endpoint: loopback, serializers: ['json'], options: { max_buffered_bytes: SEND_BUFFER } },
], {
  type: 'memory',
  'call-queue': [{ uri: 'cq.', match: 'prefix', limit: 10_000 }],
  'event-history': [{ uri: 'hist', match: 'exact', limit: BACKLOG }],
});

let node: RunningNode;
let backend: LeakBackend;
const url = (path: string) => node.urls[0]!.replace(/\/ws$/, path);
const watch = new LeakWatch(() => node.metrics.exposition(), () => [node.router], knownCaches);

const nextRequest = () => backend.nextRequest();
const invoked = (key: string) => backend.invoked(key);
const answer = (id: number, result: unknown[]) => backend.answer(id, result);

before(async () => {
  node = await startNode(loadDocument(document), { log: silentLogger, shutdownGraceMs: 200 });
  backend = await LeakBackend.open(url('/ws'));
  for (const [procedure, options] of [['test.authorize', {}], ['test.authenticate', {}], ['slow.proc', {}], ['cq.proc', { concurrency: 1 }]] as const) await backend.register(procedure, options);
});

after(async () => {
  backend?.peer.vanish(0);
  await node?.stop();
});

type Door = 'websocket' | 'rawsocket';
const open = (door: Door, path = '/ws') => (door === 'websocket' ? webSocketPeer(url(path)) : rawSocketPeer(node.ports.get('raw')!));

/** An established session on `door`. */
async function joined(door: Door, path = '/ws'): Promise<VanishingPeer> {
  const peer = await open(door, path);
  const welcome = await hello(peer);
  if (welcome[0] !== T.WELCOME) throw new Error(`no WELCOME: ${JSON.stringify(welcome)}`);
  return peer;
}

const leaves = (what: string, step: (index: number) => Promise<void>, options: { parallel?: number; repeats?: number } = {}) => leaveAll(watch, what, step, { repeats: REPEATS, ...options });

describe('leak matrix: WAMP v2 sessions that vanish half done', { timeout: 120_000 }, () => {
  for (const door of ['websocket', 'rawsocket'] as const) {
    it(`${door}: before HELLO`, () => leaves(`${door}: gone before HELLO`, async (index) => {
      (await open(door)).vanish(index % 3);
    }));

    it(`${door}: a call in flight as caller, progressive results flowing (the callee goes on after the caller left)`, () => leaves(`${door}: caller gone with a call in flight`, async (index) => {
      const caller = await joined(door);
      const key = `caller-${door}-${index}`;
      const progressive = index % 2 === 0;
      const call = nextRequest();
      caller.send([T.CALL, call, { receive_progress: progressive }, 'slow.proc', [key]]);
      const id = await invoked(key);
      if (progressive) {
        backend.progress(id, ['first']);
        await caller.next((m) => m[0] === T.RESULT && m[1] === call);
      }
      caller.vanish(index % 3);
      await pause(20);
      if (progressive) backend.progress(id, ['after the caller left']);
      answer(id, ['late']);
    }));

    it(`${door}: a call in flight as callee, progressive results flowing`, () => leaves(`${door}: callee gone mid-call`, async (index) => {
      const callee = await joined(door);
      const procedure = `callee.${door}.${index}`;
      const registering = nextRequest();
      callee.send([T.REGISTER, registering, {}, procedure]);
      await callee.next((m) => m[0] === T.REGISTERED && m[1] === registering);
      const call = nextRequest();
      backend.peer.send([T.CALL, call, { receive_progress: index % 2 === 0 }, procedure, []]);
      const invocation = await callee.next((m) => m[0] === T.INVOCATION);
      if (index % 2 === 0) {
        for (let progress = 0; progress < 3; progress++) callee.send([T.YIELD, invocation[1], { progress: true }, [progress]]);
        await backend.peer.next((m) => m[0] === T.RESULT && m[1] === call);
      }
      callee.vanish(index % 3);
      await backend.peer.next((m) => m[0] === T.ERROR && m[2] === call);
    }));

    it(`${door}: a call canceled (kill), the callee not yet answering the INTERRUPT`, () => leaves(`${door}: caller gone with a cancel pending`, async (index) => {
      const caller = await joined(door);
      const key = `cancel-${door}-${index}`;
      const call = nextRequest();
      caller.send([T.CALL, call, {}, 'slow.proc', [key]]);
      const id = await invoked(key);
      caller.send([T.CANCEL, call, { mode: index % 2 === 0 ? 'kill' : 'killnowait' }]);
      caller.vanish(index % 3);
      await pause(20);
      answer(id, ['late']);
    }));
  }

  describe('a call waiting in a call queue', () => {
    const blocker = 'cq-blocker';
    let blockerId: number;
    const queuedCalls = () => gaugeSeries(node.metrics.exposition()).get('junction_call_queue_calls{realm="realm1"}') ?? 0;
    before(async () => {
      backend.peer.send([T.CALL, nextRequest(), {}, 'cq.proc', [blocker]]);
      blockerId = await invoked(blocker);
    });
    after(() => answer(blockerId, ['done']));

    for (const door of ['websocket', 'rawsocket'] as const) {
      it(`${door}: the caller leaves while its call waits`, () => leaves(`${door}: caller gone from a call queue`, async (index) => {
        const caller = await joined(door);
        caller.send([T.CALL, nextRequest(), {}, 'cq.proc', [`queued-${index}`]]);
        await waitFor(() => queuedCalls() === 1, 'the call to be queued', 10_000);
        caller.vanish(index % 3);
        await waitFor(() => queuedCalls() === 0, 'the call to leave the queue with its caller', 10_000);
      }, { parallel: 1, repeats: 100 }));
    }
  });

  it('websocket: HELLO answered by a WAMP-CRA, cryptosign or SCRAM CHALLENGE, never authenticated', () => leaves('gone with a challenge pending', async (index) => {
    const peer = await open('websocket', '/sign');
    const method = index % 3;
    const challenge = await hello(peer, method === 0
      ? { authmethods: ['wampcra'], authid: 'joe' }
      : method === 1
        ? { authmethods: ['cryptosign'], authid: 'alice', authextra: { pubkey: publicKey } }
        : { authmethods: ['scram'], authid: 'sam', authextra: { nonce: clientNonce() } });
    if (challenge[0] !== T.CHALLENGE) throw new Error(`no CHALLENGE: ${JSON.stringify(challenge)}`);
    peer.vanish((index >> 2) % 3);
  }));

  it('websocket: HELLO waiting for a dynamic authenticator, which answers after the client left', () => leaves('gone before the authenticator answered', async (index) => {
    const peer = await open('websocket', '/dynamic');
    const authid = `dyn-${index}`;
    peer.send([T.HELLO, 'realm1', { roles: { caller: {} }, authmethods: ['wampcra'], authid }]);
    const id = await invoked(authid);
    peer.vanish(index % 3);
    await pause(20);
    answer(id, [{ secret: 'secret2', role: 'anonymous' }]);
  }));

  it('websocket: SUBSCRIBE, REGISTER and CALL waiting for a dynamic authorizer, which answers after the client left', () => leaves('gone before the authorizer answered', async (index) => {
    const peer = await joined('websocket', '/user');
    const uri = `authz.${index}`;
    const action = index % 3;
    peer.send(action === 0 ? [T.SUBSCRIBE, nextRequest(), {}, uri] : action === 1 ? [T.REGISTER, nextRequest(), {}, uri] : [T.CALL, nextRequest(), {}, uri, []]);
    const id = await invoked(uri);
    peer.vanish((index >> 2) % 3);
    await pause(20);
    answer(id, [{ allow: true }]);
  }));

  describe('events waiting for a client that does not read', () => {
    before(async () => {
      for (let topic = 0; topic < RETAINED_TOPICS; topic++) backend.peer.send([T.PUBLISH, nextRequest(), { retain: true }, `ret.${topic}`, [RETAINED]]);
      for (let event = 0; event < BACKLOG; event++) backend.peer.send([T.PUBLISH, nextRequest(), {}, 'hist', [HISTORY]]);
      const last = nextRequest();
      backend.peer.send([T.PUBLISH, last, { acknowledge: true }, 'hist', [HISTORY]]);
      await backend.peer.next((m) => m[0] === T.PUBLISHED && m[1] === last);
    });
    const replays = () => gaugeSeries(node.metrics.exposition()).get('junction_retained_replays{realm="realm1"}') ?? 0;

    for (const door of ['websocket', 'rawsocket'] as const) {
      it(`${door}: retained events replayed at the pace of a client that stopped reading`, () => leaves(`${door}: gone mid replay`, async (index) => {
        const peer = await joined(door);
        peer.pauseReading();
        peer.send([T.SUBSCRIBE, nextRequest(), { match: 'prefix', get_retained: true }, 'ret.']);
        await waitFor(() => replays() === 1, 'the replay to wait for the client', 10_000);
        // Destroyed or reset: after a clean close its session leaves at once (websocket-close-frame.test.ts), but a
        // connection whose client does not read lingers until ws's close timeout (30 s), longer than this waits.
        peer.vanish(index % 2);
        await waitFor(() => replays() === 0, 'the replay to end with its session', 10_000);
      }, { parallel: 1, repeats: 30 }));

      it(`${door}: an event history read, the answer not read`, () => leaves(`${door}: gone reading the history`, async (index) => {
        const peer = await joined(door);
        const subscribing = nextRequest();
        peer.send([T.SUBSCRIBE, subscribing, {}, 'hist']);
        const subscribed = await peer.next((m) => m[0] === T.SUBSCRIBED && m[1] === subscribing);
        peer.pauseReading();
        peer.send([T.CALL, nextRequest(), {}, 'wamp.subscription.get_events', [subscribed[2], BACKLOG]]);
        await pause(20);
        peer.vanish(door === 'websocket' ? index % 2 : index % 3);
      }, { parallel: 4, repeats: 40 }));
    }
  });
});
