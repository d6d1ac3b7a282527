import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket, WebSocketServer } from 'ws';
import { loadDocument } from '../../src/config/test-support.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { openRouterConfig } from '../support/cli.js';
import { checkFuzz, CrashWatch, fuzzedHeaderValue, fuzzSeed, fuzzTimeout, gaugesBackTo, startFuzzedNode, WampBystander } from '../support/fuzz.js';
import { ScriptedUpstream, type ScriptEnd } from '../support/scripted-upstream.js';
import { waitFor } from '../support/wait.js';

/**
 * Hostile input against `websocket-reverseproxy` (transport/websocket-proxy.ts): fuzzed client
 * handshakes and frames towards a well-behaved backend, and a backend answering the handshake
 * with garbage, broken frames, nothing, or resets. Every client is answered (101, or a refusal
 * with its reason) and every connection ends; the node logs no error; a WAMP client and a proxied
 * client keep working; the proxy's connection gauge, its open sessions and the backend's
 * connections come back to nothing.
 */

const heldGauges = ['junction_ws_proxy_connections', 'junction_ws_proxy_buffered_bytes'] as const;
const EXCHANGE_MS = 4_000;

/** A WebSocket frame as bytes: `mask` for a client's, `length` to lie about the payload's length. */
function frame(opcode: number, payload: Buffer, options: { fin?: boolean; mask?: boolean; rsv?: number; length?: number } = {}): Buffer {
  const { fin = true, mask = false, rsv = 0, length = payload.length } = options;
  const head = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  let extended = Buffer.alloc(0);
  if (length < 126) head.push(maskBit | length);
  else if (length < 65_536) {
    head.push(maskBit | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(BigInt(length));
  }
  if (!mask) return Buffer.concat([Buffer.from(head), extended, payload]);
  const key = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([Buffer.from(head), extended, key, Buffer.from(payload.map((byte, index) => byte ^ key[index % 4]!))]);
}

const closePayload = (code: number, reason = ''): Buffer => {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code);
  payload.write(reason, 2);
  return payload;
};

/** Frames of some sort, valid or not, masked (a client's) or not (a server's). */
const frames = (mask: boolean): fc.Arbitrary<Buffer> => fc.array(fc.oneof(
  fc.string({ maxLength: 20 }).map((text) => frame(1, Buffer.from(text), { mask })),
  fc.uint8Array({ maxLength: 20 }).map((bytes) => frame(2, Buffer.from(bytes), { mask })),
  fc.uint8Array({ maxLength: 8 }).map((bytes) => frame(1, Buffer.from([0xc3, 0x28, ...bytes]), { mask })),
  fc.constantFrom(0, 3, 7, 11, 15).map((opcode) => frame(opcode, Buffer.from('x'), { mask })),
  fc.constantFrom(1, 2, 9).map((opcode) => frame(opcode, Buffer.from('part'), { mask, fin: false })),
  fc.integer({ min: 1, max: 7 }).map((rsv) => frame(1, Buffer.from('rsv'), { mask, rsv })),
  fc.constantFrom(5_000, 2 ** 20, 2 ** 40).map((length) => frame(2, Buffer.from('short'), { mask, length })),
  fc.constantFrom(1000, 1001, 1004, 1005, 1006, 1015, 999, 2999, 3000, 4999, 5000).map((code) => frame(8, closePayload(code, 'bye'), { mask })),
  fc.constant(frame(8, Buffer.from([3]), { mask })),
  fc.constant(frame(9, Buffer.alloc(200), { mask })),
  fc.constant(frame(10, Buffer.from('pong'), { mask })),
  fc.constant(frame(1, Buffer.from('unmasked?'), { mask: !mask })),
  fc.uint8Array({ maxLength: 30 }).map((bytes) => Buffer.from(bytes)),
), { maxLength: 5 }).map((parts) => Buffer.concat(parts));

/** A backend's answer to the handshake of the client that offered `token`: a 101 of some sort (or not), then frames. */
const backendAnswer = fc.record({
  status: fc.constantFrom('HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 200 OK', 'HTTP/1.1 302 Found', 'HTTP/1.1 500 Oops', 'HTTP/1.0 101 X', 'garbage'),
  accept: fc.constantFrom('Sec-WebSocket-Accept: {accept}', 'Sec-WebSocket-Accept: {accept}', 'Sec-WebSocket-Accept: AAAA', ''),
  upgrade: fc.constantFrom('Upgrade: websocket\r\nConnection: Upgrade', 'Upgrade: websocket\r\nConnection: Upgrade', 'Upgrade: h2c\r\nConnection: Upgrade', ''),
  protocol: fc.constantFrom('{token}', '{token}', 'other', '', '{token}, other'),
  extra: fc.constantFrom('', 'Sec-WebSocket-Extensions: permessage-deflate', 'Sec-WebSocket-Extensions: x-unknown', 'Location: /elsewhere', 'Content-Length: 3\r\n\r\nabc'),
  frames: frames(false),
  then: fc.constantFrom<ScriptEnd>('end', 'stall', 'stall', 'reset'),
});

/** What happened to a client: refused (an HTTP status), or opened and then closed (a close code), or an error. */
interface ClientOutcome {
  refused?: { status: number; body: string };
  opened: boolean;
  closed?: number;
  error?: string;
}

/** Connects a `ws` client offering `protocols`, sends a message once open, and waits (bounded) for the connection to end; then it goes. */
async function clientRun(url: string, protocols: string[]): Promise<ClientOutcome> {
  const outcome: ClientOutcome = { opened: false };
  const ws = new WebSocket(url, protocols);
  await new Promise<void>((resolve) => {
    const done = setTimeout(() => {
      ws.terminate();
      resolve();
    }, EXCHANGE_MS);
    ws.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        outcome.refused = { status: response.statusCode ?? 0, body };
        clearTimeout(done);
        ws.terminate();
        resolve();
      });
    });
    ws.on('open', () => {
      outcome.opened = true;
      ws.send('hello backend');
    });
    ws.on('error', (error) => (outcome.error = error.message));
    ws.on('close', (code) => {
      outcome.closed = code;
      clearTimeout(done);
      resolve();
    });
  });
  return outcome;
}

describe(`websocket-reverseproxy under hostile clients and backends (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let node: Awaited<ReturnType<typeof startFuzzedNode>>['node'];
  let watch: CrashWatch;
  let bystander: WampBystander;
  let stop: () => Promise<void>;
  let echo: WebSocketServer;
  let hostile: ScriptedUpstream;
  let base: string;
  let port: number;

  before(async () => {
    echo = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (offers) => [...offers][0] ?? false });
    await once(echo, 'listening');
    echo.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    hostile = await ScriptedUpstream.start();
    const to = (backendPort: number) => ({ type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: backendPort, timeout: 1 }, url: `ws://localhost:${backendPort}/` });
    const echoPort = (echo.address() as { port: number }).port;
    const config = loadDocument(openRouterConfig({
      ws: { type: 'websocket' },
      echo: { type: 'websocket-reverseproxy', options: { max_message_size: 4_096 }, backend: to(echoPort) },
      hostile: { type: 'websocket-reverseproxy', options: { max_message_size: 4_096 }, backend: { ...to(hostile.port), options: { max_message_size: 4_096 } } },
      capped: { type: 'websocket-reverseproxy', options: { max_connections: 4, max_per_address: 3 }, backend: to(hostile.port) },
    }));
    ({ node, watch, bystander, stop } = await startFuzzedNode(config, log));
    base = node.url.replace(/\/ws$/, '');
    port = node.ports.values().next().value!;
  });
  after(async () => {
    await stop();
    await hostile.stop();
    for (const client of echo.clients) client.terminate();
    echo.close();
  });

  /** The bystander works, and a client through the proxy to the healthy backend gets its echo. */
  async function othersWork(what: string): Promise<void> {
    await bystander.works(what);
    const ws = new WebSocket(`${base}/echo`, ['healthy']);
    try {
      await once(ws, 'open');
      const echoed = once(ws, 'message');
      ws.send('still here');
      assert.equal(String((await echoed)[0]), 'still here', `a proxied client ${what}`);
    } finally {
      ws.terminate();
    }
  }

  /** Everything the proxy held is let go of: its gauges at 0 (nothing else uses these paths). */
  async function released(): Promise<void> {
    await gaugesBackTo(() => node.metrics.exposition(), {}, heldGauges);
    await waitFor(() => hostile.openConnections === 0, 'the connections to the hostile backend to close', 10_000);
    await waitFor(() => echo.clients.size === 0, 'the connections to the healthy backend to close', 10_000);
  }

  it('a side that never answers the close the proxy relays to it holds its socket a second, not ws\'s 30 s (found by fuzzing)', { timeout: 30_000 }, async () => {
    const accepting = (token: string) => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: ${token}\r\n\r\n`;
    // The backend: opens, then reads nothing and answers nothing; the client leaves.
    const client = new WebSocket(`${base}/hostile`, [hostile.script(accepting, 'stall')]);
    await once(client, 'open');
    client.terminate();
    await waitFor(() => hostile.openConnections === 0, 'the proxy to drop the mute backend\'s socket', 10_000);
    // The client: opens, then answers nothing, not even the close the backend's close becomes.
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.resume(); // read (and drop) what comes, the close frame with it
    await once(socket, 'connect');
    socket.write(`GET /hostile HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n`
      + `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${hostile.script((token) => `${accepting(token)}${frame(8, closePayload(1000)).toString('latin1')}`, 'stall')}\r\n\r\n`);
    const closed = once(socket, 'close');
    const opened = Date.now();
    await closed;
    assert.ok(Date.now() - opened < 10_000, `the mute client's socket was held ${Date.now() - opened} ms`);
  });

  it('a backend answering the handshake with garbage, broken frames, nothing or resets: each client is refused 502/504 or relayed and closed', { timeout: fuzzTimeout(120_000) }, async () => {
    let runs = 0;
    await checkFuzz('websocket-reverseproxy backends', fc.asyncProperty(fc.array(backendAnswer, { minLength: 1, maxLength: 3 }), async (answers) => {
      const outcomes = await Promise.all(answers.map((answer) => {
        const token = hostile.script((mark) => {
          const head = [answer.status, answer.upgrade, answer.accept, answer.protocol === '' ? '' : `Sec-WebSocket-Protocol: ${answer.protocol.replace('{token}', mark)}`, answer.extra]
            .filter((line) => line !== '').join('\r\n');
          return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), answer.frames]);
        }, answer.then);
        return clientRun(`${base}/hostile`, [token]);
      }));
      outcomes.forEach((outcome, index) => {
        const what = `${JSON.stringify(answers[index])} -> ${JSON.stringify(outcome)}`;
        if (outcome.refused) {
          assert.ok([502, 504].includes(outcome.refused.status), `an unexpected refusal: ${what}`);
          assert.match(outcome.refused.body, /^The backend of this WebSocket endpoint is not available: .+/, `a refusal without its reason: ${what}`);
        }
      });
      watch.assertQuiet('hostile backends');
      runs += 1;
      if (runs % 20 === 0) await othersWork(`after ${runs} hostile backend runs`);
    }), 40);
    await othersWork('after the backend fuzzing');
    await released();
    watch.assertQuiet('the backend fuzzing');
  });

  it('fuzzed client handshakes and frames towards a healthy backend: refused with a reason, or relayed and closed', { timeout: fuzzTimeout(90_000) }, async () => {
    const handshake = fc.record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'HEAD'),
      upgrade: fc.oneof(fc.constantFrom('websocket', 'websocket', 'WebSocket', 'h2c', ''), fuzzedHeaderValue),
      key: fc.oneof(fc.constantFrom('dGhlIHNhbXBsZSBub25jZQ==', 'dGhlIHNhbXBsZSBub25jZQ==', '', 'short', 'dGhlIHNhbXBsZSBub25jZQ'), fuzzedHeaderValue),
      version: fc.constantFrom('13', '13', '8', '7', '', '13, 8', 'x'),
      protocol: fc.option(fc.oneof(fc.constantFrom('a', 'a, b', 'a, a', 'a b', ',', 'wamp.2.json'), fuzzedHeaderValue), { nil: undefined }),
      origin: fc.option(fc.constantFrom('null', 'https://a.example', 'file://', 'x'), { nil: undefined }),
      frames: frames(true),
    });
    let runs = 0;
    await checkFuzz('websocket-reverseproxy handshakes', fc.asyncProperty(handshake, async (sent) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
      const closed = once(socket, 'close');
      await once(socket, 'connect');
      const fields = [`Host: 127.0.0.1:${port}`, `Upgrade: ${sent.upgrade}`, 'Connection: Upgrade', `Sec-WebSocket-Key: ${sent.key}`, `Sec-WebSocket-Version: ${sent.version}`,
        ...(sent.protocol === undefined ? [] : [`Sec-WebSocket-Protocol: ${sent.protocol}`]), ...(sent.origin === undefined ? [] : [`Origin: ${sent.origin}`])];
      socket.write(`${sent.method} /echo HTTP/1.1\r\n${fields.join('\r\n')}\r\n\r\n`);
      await waitFor(() => received.includes('\r\n\r\n') || socket.destroyed, 'an answer to the handshake', EXCHANGE_MS);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]);
      const what = `${JSON.stringify({ ...sent, frames: sent.frames.toString('hex') })} -> ${received.slice(0, 300)}`;
      assert.ok(status < 500, `an internal error: ${what}`);
      if (status === 101) socket.write(sent.frames);
      else assert.ok(received.slice(received.indexOf('\r\n\r\n') + 4).trim() !== '' || sent.method === 'HEAD', `a refusal without its reason: ${what}`);
      // The client stays a moment (frames relayed or refused), then leaves without a close frame.
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.destroy();
      await closed;
      watch.assertQuiet('fuzzed handshakes');
      runs += 1;
      if (runs % 40 === 0) await othersWork(`after ${runs} fuzzed handshakes`);
    }), 80);
    await othersWork('after the handshake fuzzing');
    await released();
    watch.assertQuiet('the handshake fuzzing');
  });

  it('clients vanishing while their backend opens, in a storm over max_connections, give every slot back', { timeout: 60_000 }, async () => {
    const connecting = () => {
      const token = hostile.script('', 'stall');
      const client = { token, ws: new WebSocket(`${base}/capped`, [token]), status: undefined as number | undefined };
      client.ws.on('unexpected-response', (_request, response) => (client.status = response.statusCode));
      client.ws.on('error', () => {});
      return client;
    };
    for (let round = 0; round < 3; round++) {
      const clients = Array.from({ length: 10 }, connecting);
      // Each is refused, or held while its backend opens (its request is at the backend, which does not answer): then all vanish at once.
      await waitFor(() => clients.every((client) => client.status !== undefined || hostile.reached(client.token)), 'each client refused or at the backend', 20_000);
      clients.forEach((client) => client.ws.terminate());
      const statuses = clients.map((client) => client.status);
      // Four open at once at most, three from one address: the rest are refused.
      assert.ok(statuses.filter((status) => status === 503 || status === 429).length >= 6, `refusals: ${JSON.stringify(statuses)}`);
    }
    await released();
    // Every slot came back: as many clients as max_per_address get through again (the backend answering them).
    const accepting = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n`;
    const clients = await Promise.all(Array.from({ length: 3 }, async () => {
      const token = hostile.script((mark) => `${accepting}Sec-WebSocket-Protocol: ${mark}\r\n\r\n`, 'stall');
      const ws = new WebSocket(`${base}/capped`, [token]);
      await once(ws, 'open');
      return ws;
    }));
    clients.forEach((ws) => ws.terminate());
    await released();
    await othersWork('after the storm');
    watch.assertQuiet('the storm');
  });
});
