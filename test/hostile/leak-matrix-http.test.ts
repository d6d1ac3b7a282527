import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { loadDocument } from '../../src/config/test-support.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { MessageType as T } from '../../src/protocol/codes.js';
import { silentLogger } from '../../src/router/log.js';
import { gaugeSeries, knownCaches, leaves as leaveAll, LeakWatch } from '../support/leak-census.js';
import { leakDocument, LeakBackend, loopback, pause } from '../support/leak-peers.js';
import { Wamp1Client } from '../support/wamp1-client.js';
import { waitFor } from '../support/wait.js';

/**
 * The leak matrix, the HTTP doors and WAMP v1: a long-poll session whose receive request is open
 * and whose client never comes back (it must expire), with or without a call in flight; an SSE
 * stream cut while the router's writes wait on a client that stopped reading; HTTP bridge
 * requests cut mid-body, and calls whose HTTP client goes while the callee works (the call must
 * be cancelled or its result dropped, not held); a WAMP v1 client gone with a call in flight;
 * many client addresses (through a trusted proxy) each holding a connection of every kind, then
 * gone (the per-address connection caps' tables).
 * Afterwards every gauge is back where it was, no table reachable from the router has grown, and
 * (for the per-address tables, which have no gauge) no kind of heap object has grown by most of
 * the repeats.
 */

const REPEATS = 80;
const anonymous = { anonymous: { type: 'static', role: 'anonymous' } };

const document = leakDocument([{
  type: 'web', id: 'web', endpoint: loopback,
  paths: {
    ws: { type: 'websocket', options: { wamp1: { realm: 'realm1', role: 'anonymous' } } },
    lp: { type: 'longpoll', auth: anonymous, options: { session_timeout: 1 } },
    sse: { type: 'sse', realm: 'realm1', auth: anonymous },
    publish: { type: 'publisher', realm: 'realm1', role: 'anonymous' },
    call: { type: 'caller', realm: 'realm1', role: 'anonymous' },
  },
}]);

let node: RunningNode;
let backend: LeakBackend;
let port: number;
const watch = new LeakWatch(() => node.metrics.exposition(), () => [node.router], knownCaches);
/** Long-poll transports of the warm-up expire (session_timeout 1 s) before the baseline is taken. */
const leaves = (what: string, step: (index: number) => Promise<void>, options: { parallel?: number; repeats?: number; heap?: boolean } = {}) =>
  leaveAll(watch, what, step, { repeats: REPEATS, quietMs: 2_500, ...options });

before(async () => {
  const config = loadDocument(document);
  // 127.0.0.1 is a trusted proxy: X-Forwarded-For names the client, so that one machine is many addresses.
  config.listeners[0]!.trustedProxies = ['127.0.0.1'];
  node = await startNode(config, { log: silentLogger, shutdownGraceMs: 200 });
  port = node.ports.get('web')!;
  backend = await LeakBackend.open(node.urls[0]!);
  await backend.register('slow.proc');
});

after(async () => {
  backend?.peer.vanish(0);
  await node?.stop();
});

/** A connection that sent `head` and `body` (all of it, or the first `sent` bytes); its answer is collected in `answer`. */
async function request(method: string, path: string, body = '', { sent = body.length, headers = {} as Record<string, string> } = {}): Promise<{ socket: Socket; answer: () => string }> {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  const fields = Object.entries({ host: `127.0.0.1:${port}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.write(`${method} ${path} HTTP/1.1\r\n${fields}\r\n${body.slice(0, sent)}`);
  return { socket, answer: () => answer };
}

/** The JSON body of a complete answer (Content-Length framed; none: {}). */
async function answered(path: string, body: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const { socket, answer } = await request('POST', path, body, { headers });
  await waitFor(() => /\r\n\r\n/.test(answer()) && answer().split('\r\n\r\n')[1]!.length >= Number(/content-length: (\d+)/i.exec(answer())?.[1] ?? 0), `an answer to ${path}`, 10_000);
  socket.destroy();
  const text = answer().split('\r\n\r\n')[1]!;
  return text === '' ? {} : JSON.parse(text) as Record<string, unknown>;
}

const vanish = (socket: Socket, way: number) => (way === 0 ? socket.destroy() : way === 1 ? socket.resetAndDestroy() : socket.end());

describe('leak matrix: HTTP doors and WAMP v1, clients gone half done', { timeout: 120_000 }, () => {
  it('long-poll: a receive request left open, the client never back (its transport expires), with or without a call in flight', () => leaves('long-poll client gone', async (index) => {
    const { transport } = await answered('/lp/open', JSON.stringify({ protocols: ['wamp.2.json'] }));
    const base = `/lp/${String(transport)}`;
    if (index % 3 !== 0) {
      await answered(`${base}/send`, JSON.stringify([T.HELLO, 'realm1', { roles: { caller: {}, subscriber: {} } }]));
      const welcome = await request('POST', `${base}/receive`);
      await waitFor(() => welcome.answer().includes('\r\n\r\n['), 'WELCOME', 10_000);
      welcome.socket.destroy();
    }
    if (index % 3 === 2) {
      const key = `lp-${index}`;
      await answered(`${base}/send`, JSON.stringify([T.CALL, 1, {}, 'slow.proc', [key]]));
      const id = await backend.invoked(key);
      pause(1_500).then(() => backend.answer(id, ['late']), () => undefined);
    }
    vanish((await request('POST', `${base}/receive`)).socket, index % 2);
  }, { parallel: 8, repeats: 60 }));

  it('SSE: a stream cut while the router waits on a client that stopped reading', () => leaves('SSE stream cut mid-write', async (index) => {
    const topic = `sse.t${index}`;
    const stream = await request('GET', `/sse?topic=${topic}`, '', { headers: { accept: 'text/event-stream' } });
    await waitFor(() => stream.answer().includes('retry:'), 'the stream to start', 10_000);
    stream.socket.pause();
    const payload = 's'.repeat(100_000);
    for (let event = 0; event < 60; event++) backend.peer.send([T.PUBLISH, backend.nextRequest(), {}, topic, [payload]]);
    const last = backend.nextRequest();
    backend.peer.send([T.PUBLISH, last, { acknowledge: true }, topic, [payload]]);
    await backend.peer.next((m) => m[0] === T.PUBLISHED && m[1] === last);
    vanish(stream.socket, index % 2);
  }, { parallel: 2, repeats: 20 }));

  it('HTTP bridge: publisher and caller requests cut mid-body', () => leaves('HTTP bridge request cut mid-body', async (index) => {
    const body = JSON.stringify(index % 2 === 0 ? { topic: 'bridge.t', args: ['x'.repeat(1_000)] } : { procedure: 'slow.proc', args: ['x'.repeat(1_000)] });
    const { socket } = await request('POST', index % 2 === 0 ? '/publish' : '/call', body, { sent: 200 + index });
    await pause(10);
    vanish(socket, index % 2);
  }));

  it('HTTP bridge: a call in flight when its HTTP client goes (the callee answers late, or the call is interrupted)', () => leaves('HTTP bridge caller gone mid-call', async (index) => {
    const key = `bridge-${index}`;
    const { socket } = await request('POST', '/call', JSON.stringify({ procedure: 'slow.proc', args: [key] }));
    const id = await backend.invoked(key);
    vanish(socket, index % 3);
    await pause(20);
    backend.answer(id, ['late']);
  }));

  it('WAMP v1: a client gone with a call in flight and a subscription', () => leaves('WAMP v1 client gone mid-call', async (index) => {
    const client = await Wamp1Client.connect(node.urls[0]!);
    const key = `v1-${index}`;
    client.send([5, `sub${index % 3}`]);
    client.send([2, 'c1', 'slow.proc', key]);
    const id = await backend.invoked(key);
    if (index % 2 === 0) client.ws.terminate();
    else client.ws.close();
    await pause(20);
    backend.answer(id, ['late']);
  }));

  it('per-address tables (connection caps of WebSocket, long-poll and SSE): each of many addresses comes and goes', () => leaves('an address gone', async (index) => {
    const from = { 'x-forwarded-for': `10.${index >> 8}.${index & 255}.1` };
    const ws = new WebSocket(node.urls[0]!, ['wamp.2.json'], { headers: from });
    ws.on('error', () => undefined);
    await new Promise((resolve) => ws.once('open', resolve));
    const { transport } = await answered('/lp/open', JSON.stringify({ protocols: ['wamp.2.json'] }), from);
    const stream = await request('GET', '/sse?topic=addresses', '', { headers: { accept: 'text/event-stream', ...from } });
    await waitFor(() => stream.answer().includes('retry:'), 'the stream to start', 10_000);
    if (typeof transport !== 'string') throw new Error('no long-poll transport');
    ws.terminate();
    vanish(stream.socket, index % 3);
  }, { heap: true }));

  it('long-poll transports left behind expire: none is left', async () => {
    await waitFor(() => (gaugeSeries(node.metrics.exposition()).get('junction_longpoll_transports') ?? 0) === 0, 'every long-poll transport to expire', 10_000);
  });
});
