import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * The lean fan-out subscriber (bench/clients/lean-subscriber.mjs, bench --lean-subscribers) and
 * the frame walking and byte scanning it relies on (bench/lib/ws-frames.mjs): a bench that lost
 * or misread events here would fail runs, or worse, pass them. Loaded by URL: the bench is not
 * compiled.
 */

const bench = (path: string): Promise<any> => import(new URL(`../../../bench/${path}`, import.meta.url).href);

/** An unmasked server frame, as a router sends it. */
function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const size = payload.length;
  const header = size < 126 ? Buffer.from([0, size]) : size < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (size >= 126 && size < 65_536) {
    header[1] = 126;
    header.writeUInt16BE(size, 2);
  } else if (size >= 65_536) {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(size), 2);
  }
  return Buffer.concat([header, payload]);
}

test('the frame reader finds every frame however the stream is cut into reads', async () => {
  const { FrameReader } = await bench('lib/ws-frames.mjs');
  const payloads = [Buffer.from('a'), Buffer.alloc(200, 'b'), Buffer.alloc(70_000, 'c'), Buffer.alloc(125, 'd'), Buffer.alloc(0)];
  const stream = Buffer.concat(payloads.map((payload, i) => serverFrame(i === 4 ? 9 : 1, payload, i !== 1)));
  // Cut points: every one near the frame edges, and a spread over the large frame.
  const cuts = [...Array.from({ length: 260 }, (_, i) => i), ...Array.from({ length: 40 }, (_, i) => 260 + i * 1_777), stream.length - 3];
  for (const cut of cuts) {
    const frames: Array<{ opcode: number; fin: boolean; payload: Buffer }> = [];
    const reader = new FrameReader((opcode: number, fin: boolean, buffer: Buffer, start: number, end: number) => {
      frames.push({ opcode, fin, payload: Buffer.from(buffer.subarray(start, end)) });
    });
    // The reader may not keep a read's memory: each chunk is overwritten once pushed.
    for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
      const chunk = Buffer.from(part);
      reader.push(chunk);
      chunk.fill(0);
    }
    assert.equal(frames.length, payloads.length, `cut at ${cut}`);
    frames.forEach((frame, i) => {
      assert.equal(frame.opcode, i === 4 ? 9 : 1);
      assert.equal(frame.fin, i !== 1);
      assert.ok(frame.payload.equals(payloads[i]!), `frame ${i}, cut at ${cut}`);
    });
  }
});

test('the frame reader refuses masked server frames, unnegotiated extensions and oversized frames', async () => {
  const { FrameReader, MAX_FRAME_BYTES } = await bench('lib/ws-frames.mjs');
  const reader = () => new FrameReader(() => assert.fail('no frame expected'));
  assert.throws(() => reader().push(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x61])), /masked/);
  assert.throws(() => reader().push(Buffer.from([0xc1, 0x01, 0x61])), /RSV/);
  const huge = Buffer.alloc(10);
  huge[0] = 0x81;
  huge[1] = 127;
  huge.writeBigUInt64BE(BigInt(MAX_FRAME_BYTES + 1), 2);
  assert.throws(() => reader().push(huge), /larger than/);
});

test('client frames are masked and carry their payload in all three length forms', async () => {
  const { maskedFrame } = await bench('lib/ws-frames.mjs');
  for (const size of [0, 125, 126, 65_535, 65_536]) {
    const payload = Buffer.alloc(size, 'p');
    const frame: Buffer = maskedFrame(1, payload);
    assert.equal(frame[0], 0x81);
    assert.equal(frame[1]! & 0x80, 0x80, 'the mask bit is set');
    const lengthCode = frame[1]! & 0x7f;
    const header = lengthCode < 126 ? 2 : lengthCode === 126 ? 4 : 10;
    const length = lengthCode < 126 ? lengthCode : lengthCode === 126 ? frame.readUInt16BE(2) : Number(frame.readBigUInt64BE(2));
    assert.equal(length, size);
    const mask = frame.subarray(header, header + 4);
    const unmasked = Buffer.from(frame.subarray(header + 4).map((byte, i) => byte ^ mask[i & 3]!));
    assert.ok(unmasked.equals(payload), `size ${size}`);
  }
});

test('an event scan reads the subscription id and args[0], or gives up on anything else', async () => {
  const { scanEventArgs } = await bench('lib/ws-frames.mjs');
  const prefix = Buffer.from('[36,');
  const scan = (text: string) => {
    const buffer = Buffer.from(`xx${text}yy`); // the message sits inside a larger read
    const scanned = { key: -1, integer: 0, seq: 0 };
    return scanEventArgs(buffer, 2, 2 + Buffer.byteLength(text), prefix, 3, scanned) ? [scanned.key, scanned.seq] : false;
  };
  assert.deepEqual(scan('[36,5,7,{},[12,1733.5,"xxxx",0]]'), [5, 12]);
  assert.deepEqual(scan('[36,123456789012,9007199254740991,{},[42]]'), [123456789012, 42]);
  assert.deepEqual(scan('[36,5,7,{"topic":"a.b","odd":"}]\\"[{"},[3,0,"x",1],{"k":[1]}]'), [5, 3]);
  for (const shape of [
    '[36,5,7,{},["warm"]]', // no sequence number: parsed in full
    '[36, 5, 7, {}, [12]]', // whitespace
    '[36,5,7,{},[-1]]',
    '[36,5,7,{},[1.5]]',
    '[36,5,7,{}]', // no args
    '[37,5,7,{},[12]]', // not an EVENT
    '[36,5,7,{"unterminated',
    '[36,5,7,{},[12',
  ]) assert.equal(scan(shape), false, shape);
});

/** A stand-in router: WELCOME with a node id, SUBSCRIBED with id 99; records what the client sends. */
async function fakeRouter() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => (protocols.has('wamp.2.json') ? 'wamp.2.json' : false) });
  await once(server, 'listening');
  const received: unknown[] = [];
  const connected = new Promise<WebSocket>((resolve) => {
    server.on('connection', (socket) => {
      socket.on('message', (data) => {
        const message = JSON.parse(data.toString());
        received.push(message);
        if (message[0] === 1) socket.send(JSON.stringify([2, 4242, { x_junction_node: 'n7', roles: { broker: {} } }]));
        if (message[0] === 32) {
          socket.send(JSON.stringify([33, message[1], 99]));
          resolve(socket);
        }
      });
    });
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  return { server, url, received, connected };
}

for (const readIntervalMs of [0, 5]) {
  test(`a lean subscriber joins, subscribes and sees every event exactly as sent (read interval ${readIntervalMs} ms)`, async () => {
    const { connectLeanWamp } = await bench('clients/lean-subscriber.mjs');
    const router = await fakeRouter();
    try {
      const client = await connectLeanWamp({ url: router.url, readIntervalMs });
      assert.equal(client.node, 'n7');
      const seen: unknown[] = [];
      await client.subscribe('bench.fanout', (seq: unknown) => seen.push(seq));
      const socket = await router.connected;
      const pong = once(socket, 'pong');
      socket.ping(Buffer.from('hi'));
      assert.equal(String((await pong)[0]), 'hi', 'a ping is answered with its payload');

      const sent: unknown[] = [];
      for (let seq = 1; seq <= 2_000; seq++) {
        sent.push(seq);
        socket.send(`[36,99,${seq},{},[${seq},1733.25,"${'x'.repeat(seq % 300)}",0]]`);
      }
      // Shapes the scan leaves to JSON.parse, a fragmented message, and an unknown subscription.
      socket.send('[36, 99, 1, {}, [2001, 0, "x", 0]]');
      socket.send('[36,99,2,{},["warm"]]');
      socket.send('[36,99,3,{},[20', { fin: false });
      socket.send('02,0,"x",0]]', { fin: true });
      socket.send('[36,98,4,{},[7]]');
      sent.push(2001, 'warm', 2002);
      const deadline = Date.now() + 10_000;
      while (seen.length < sent.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(seen, sent);
      assert.equal(client.unexpectedEvents, 1, 'the event for subscription 98 is counted, not delivered');

      client.close();
      await client.ended;
      assert.deepEqual(router.received.map((message: any) => message[0]), [1, 32, 6], 'HELLO, SUBSCRIBE, GOODBYE');
      assert.equal(client.closed, true);
    } finally {
      router.server.close();
      for (const socket of router.server.clients) socket.terminate();
    }
  });
}

test('a lean subscriber refuses serializers other than JSON; a refused upgrade or a closed connection fails the join', async () => {
  const { connectLeanWamp } = await bench('clients/lean-subscriber.mjs');
  assert.throws(() => connectLeanWamp({ url: 'ws://127.0.0.1:1/ws', serializer: 'msgpack' }), /JSON/);
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => false });
  await once(server, 'listening');
  try {
    await assert.rejects(connectLeanWamp({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws` }), /subprotocol|refused|closed/);
  } finally {
    server.close();
  }
  // A server that closes the connection before answering fails the join, rather than leaving it pending.
  const closer = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
  try {
    await assert.rejects(connectLeanWamp({ url: `ws://127.0.0.1:${(closer.address() as AddressInfo).port}/ws` }), /closed before WELCOME/);
  } finally {
    closer.close();
  }
});
