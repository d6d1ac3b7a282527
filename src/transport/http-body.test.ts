import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { readLimitedBodyThen, type BodyResult } from './http-body.js';

/** What readLimitedBodyThen gave for one request, and whether the request's stream had ended by then. */
interface Read {
  result: BodyResult;
  endedBefore: boolean;
  /** Whether `done` ran inside the readLimitedBodyThen call itself. */
  atOnce: boolean;
}

const LIMIT = 16;
let server: Server;
let port: number;
const reads: ((read: Read) => void)[] = [];

before(async () => {
  server = createServer((request: IncomingMessage, response) => {
    let inCall = true;
    readLimitedBodyThen(request, LIMIT, (result) => {
      reads.shift()?.({ result, endedBefore: request.readableEnded, atOnce: inCall });
      if (!response.headersSent) response.end();
    }, 8);
    inCall = false;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends `parts` on a new connection, each in its own write a few ms apart; resolves with what the server read. */
async function send(parts: string[]): Promise<{ read: Read; socket: Socket }> {
  const read = new Promise<Read>((resolve) => reads.push(resolve));
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  for (const part of parts) {
    socket.write(part);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { read: await read, socket };
}

const post = (headers: string): string => `POST / HTTP/1.1\r\nhost: x\r\n${headers}\r\n`;

describe('readLimitedBodyThen', () => {
  it('gives a body with a Content-Length as soon as its last byte arrived, before the stream ends', async () => {
    const { read, socket } = await send([post('content-length: 9\r\n'), 'abc', 'def', 'ghi']);
    socket.destroy();
    assert.deepEqual(read.result, { ok: true, body: Buffer.from('abcdefghi') });
    assert.equal(read.endedBefore, false);
  });

  it('gives a chunked body at the end of the stream', async () => {
    const { read, socket } = await send([post('transfer-encoding: chunked\r\n'), '3\r\nabc\r\n', '2\r\nde\r\n0\r\n\r\n']);
    socket.destroy();
    assert.deepEqual(read.result, { ok: true, body: Buffer.from('abcde') });
    assert.equal(read.endedBefore, true);
  });

  it('gives an empty body for Content-Length 0', async () => {
    const { read, socket } = await send([post('content-length: 0\r\n')]);
    socket.destroy();
    assert.deepEqual(read.result, { ok: true, body: Buffer.alloc(0) });
  });

  it('says aborted when the client leaves mid-body', async () => {
    const read = new Promise<Read>((resolve) => reads.push(resolve));
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${post('content-length: 9\r\n')}abc`);
      setTimeout(() => socket.destroy(), 20);
    });
    assert.deepEqual((await read).result, { ok: false, reason: 'aborted' });
  });

  it('says aborted when the client left before the body is read (the handler awaited something first)', async () => {
    // Its 'close' came and went while the handler was busy (a CGI path looks its script up first): found by test/hostile/reset-fuzz.
    let settle!: (result: BodyResult | string) => void;
    const result = new Promise<BodyResult | string>((resolve) => (settle = resolve));
    const late = createServer((request) => request.once('close', () => readLimitedBodyThen(request, LIMIT, settle)));
    await new Promise<void>((resolve) => late.listen(0, '127.0.0.1', resolve));
    const timer = setTimeout(() => settle('no result within 2 s'), 2_000);
    try {
      const socket = connect((late.address() as AddressInfo).port, '127.0.0.1', () => {
        socket.write(post('content-length: 9\r\n'));
        setTimeout(() => socket.resetAndDestroy(), 20);
      });
      socket.on('error', () => {});
      assert.deepEqual(await result, { ok: false, reason: 'aborted' });
    } finally {
      clearTimeout(timer);
      late.closeAllConnections();
      await new Promise((resolve) => late.close(resolve));
    }
  });

  it('refuses a Content-Length past limit + discard limit in the call itself, a body growing past the limit as it does', async () => {
    const declared = await send([post(`content-length: ${LIMIT + 9}\r\n`)]);
    declared.socket.destroy();
    assert.deepEqual(declared.read.result, { ok: false, reason: 'too_large', closeConnection: true, declared: LIMIT + 9 });
    assert.equal(declared.read.atOnce, true);
    const chunked = await send([post('transfer-encoding: chunked\r\n'), `${(LIMIT + 1).toString(16)}\r\n${'x'.repeat(LIMIT + 1)}\r\n`]);
    chunked.socket.destroy();
    assert.deepEqual(chunked.read.result, { ok: false, reason: 'too_large', closeConnection: false });
    assert.equal(chunked.read.atOnce, false);
  });
});
