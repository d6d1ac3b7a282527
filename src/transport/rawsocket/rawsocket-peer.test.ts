import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec, msgpackCodec } from '../../codec/index.js';
import { MessageType } from '../../protocol/codes.js';
import { Envelope } from '../../protocol/envelope.js';
import type { WampMessage } from '../../protocol/messages.js';
import { silentLogger } from '../../router/log.js';
import { FrameParser } from './framing.js';
import { RawSocketPeer, type FrameSink } from './rawsocket-peer.js';

class FakeSink implements FrameSink {
  readonly written: Buffer[] = [];
  destroyed = false;
  ended = false;
  /** Bytes the fake pretends are still queued (a reader that stopped reading). */
  backlog = 0;

  write(chunk: Uint8Array): boolean {
    this.written.push(chunk as Buffer); // kept as given, so tests can tell shared frames apart
    this.backlog += chunk.length;
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  get writableLength(): number {
    return this.backlog;
  }

  /** Every WAMP message written, decoded (frames are parsed as a client would). */
  messages(codec = jsonCodec): unknown[][] {
    const decoded: unknown[][] = [];
    const parser = new FrameParser(1 << 24, (_type, payload) => decoded.push(codec.decode(payload) as unknown[]));
    for (const chunk of this.written) parser.push(chunk);
    return decoded;
  }
}

function peerWith(options: { clientMaxLength?: number; maxBufferedBytes?: number; codec?: typeof jsonCodec } = {}) {
  const sink = new FakeSink();
  const onBehalf: unknown[][] = [];
  const tooLong: string[] = [];
  let slow = 0;
  const peer = new RawSocketPeer(sink, options.codec ?? jsonCodec, { type: 'rawsocket', serializer: 'json', peer: 'tcp4:127.0.0.1:1' }, {
    clientMaxLength: options.clientMaxLength ?? 512,
    maxBufferedBytes: options.maxBufferedBytes ?? 1 << 20,
    log: silentLogger,
    counters: { slowConsumers: { inc: () => slow++ }, tooLongForClient: { inc: ({ type }) => tooLong.push(type) } },
    onBehalfOfClient: (wire) => onBehalf.push(wire),
  });
  return { sink, peer, onBehalf, tooLong, slowCount: () => slow };
}

const big = 'x'.repeat(600);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function result(request: number, args: unknown[], progress = false): WampMessage {
  return { type: MessageType.RESULT, request, details: progress ? { progress: true } : {}, args };
}

describe('RawSocketPeer', () => {
  it('writes each message as one frame in the negotiated codec', () => {
    const { sink, peer } = peerWith({ codec: msgpackCodec });
    peer.send(new Envelope({ type: MessageType.PUBLISHED, request: 7, publication: 99 }));
    assert.equal(sink.written.length, 1);
    assert.deepEqual(sink.messages(msgpackCodec), [[17, 7, 99]]);
  });

  it('frames an envelope once for every RawSocket subscriber of a fan-out', () => {
    const one = peerWith();
    const two = peerWith();
    const event = new Envelope({ type: MessageType.EVENT, subscription: 1, publication: 2, details: {}, args: ['hi'] });
    one.peer.send(event);
    two.peer.send(event);
    assert.equal(one.sink.written.length, 1);
    assert.equal(one.sink.written[0], two.sink.written[0], 'the same frame buffer is written to both');
  });

  it('sends a message of exactly the client maximum length', () => {
    const { sink, peer } = peerWith({ clientMaxLength: 512 });
    const base = JSON.stringify([50, 1, {}, ['']]).length;
    peer.send(new Envelope(result(1, ['y'.repeat(512 - base)])));
    assert.equal(sink.written[0]!.length, 4 + 512);
  });

  it('replaces a RESULT too long for the client with ERROR wamp.error.payload_size_exceeded', () => {
    const { sink, peer, tooLong, onBehalf } = peerWith();
    peer.send(new Envelope(result(5, [big])));
    const [error] = sink.messages();
    assert.deepEqual(error!.slice(0, 5), [8, 48, 5, {}, 'wamp.error.payload_size_exceeded']);
    assert.match((error![5] as string[])[0]!, /^RESULT of \d+ octets exceeds the 512 octets this RawSocket client accepts$/);
    assert.deepEqual(tooLong, ['RESULT']);
    assert.deepEqual(onBehalf, []);
  });

  it('cancels a progressive call whose result is too long and drops the rest of that call', async () => {
    const { sink, peer, onBehalf } = peerWith();
    peer.send(new Envelope(result(5, [big], true)));
    await tick();
    assert.deepEqual(onBehalf, [[49, 5, { mode: 'killnowait' }]]);
    peer.send(new Envelope(result(5, ['more'], true)));
    peer.send(new Envelope({ type: MessageType.ERROR, requestType: 48, request: 5, details: {}, error: 'wamp.error.canceled' }));
    peer.send(new Envelope(result(6, ['another call'])));
    peer.send(new Envelope(result(5, ['request 5 is forgotten no more'])));
    const messages = sink.messages();
    assert.deepEqual(messages.map((message) => [message[0], message[0] === 8 ? message[2] : message[1]]), [[8, 5], [50, 6], [50, 5]]);
  });

  it('answers an INVOCATION too long for the callee with its ERROR on its behalf, and sends nothing', async () => {
    const { sink, peer, onBehalf } = peerWith();
    peer.send(new Envelope({ type: MessageType.INVOCATION, request: 3, registration: 4, details: {}, args: [big] }));
    assert.equal(sink.written.length, 0);
    assert.equal(onBehalf.length, 0, 'not from inside the router\'s send');
    await tick();
    assert.equal(onBehalf.length, 1);
    assert.deepEqual(onBehalf[0]!.slice(0, 5), [8, 68, 3, {}, 'wamp.error.payload_size_exceeded']);
  });

  it('drops an EVENT too long for the subscriber and counts it', () => {
    const { sink, peer, tooLong } = peerWith();
    peer.send(new Envelope({ type: MessageType.EVENT, subscription: 1, publication: 2, details: {}, args: [big] }));
    assert.equal(sink.written.length, 0);
    assert.deepEqual(tooLong, ['EVENT']);
    assert.equal(sink.ended, false);
  });

  it('shortens an ERROR too long for the client, naming the original error', () => {
    const { sink, peer } = peerWith();
    peer.send(new Envelope({ type: MessageType.ERROR, requestType: 48, request: 9, details: {}, error: 'app.error.huge', args: [big] }));
    const [error] = sink.messages();
    assert.deepEqual(error!.slice(0, 5), [8, 48, 9, {}, 'wamp.error.payload_size_exceeded']);
    assert.match((error![5] as string[])[0]!, /the error was app\.error\.huge/);
  });

  it('aborts the session when any other message is too long (a WELCOME with huge details)', () => {
    const { sink, peer } = peerWith();
    peer.send(new Envelope({ type: MessageType.WELCOME, session: 1, details: { authextra: big } }));
    const [abort] = sink.messages();
    assert.equal(abort![0], 3);
    assert.equal(abort![2], 'wamp.error.payload_size_exceeded');
    assert.equal(sink.ended, true);
  });

  it('drops a slow consumer once its send buffer passes the limit, and sends nothing more', () => {
    const { sink, peer, slowCount } = peerWith({ maxBufferedBytes: 100 });
    const event = (n: number): Envelope => new Envelope({ type: MessageType.EVENT, subscription: 1, publication: n, details: {}, args: ['z'.repeat(40)] });
    peer.send(event(1));
    assert.equal(sink.destroyed, false);
    peer.send(event(2));
    assert.equal(sink.destroyed, true);
    assert.equal(slowCount(), 1);
    peer.send(event(3));
    assert.equal(sink.written.length, 2);
  });

  it('ends the socket on close and sends nothing afterwards', () => {
    const { sink, peer } = peerWith();
    peer.close();
    peer.send(new Envelope({ type: MessageType.PUBLISHED, request: 1, publication: 1 }));
    assert.equal(sink.ended, true);
    assert.equal(sink.written.length, 0);
    peer.closed();
  });
});
