import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { cborCodec, jsonCodec, msgpackCodec } from '../../codec/index.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { MessageType } from '../../protocol/codes.js';
import { Envelope } from '../../protocol/envelope.js';
import { silentLogger } from '../../router/log.js';
import type { Peer, SessionLink } from '../../router/peer.js';
import { encodeFrame, FrameParser, FrameType } from './framing.js';
import { RawSocketService, type RawSocketServiceOptions } from './rawsocket-service.js';

/** A socket whose far end is the test: `receive` is what the client sends, `written` what the router wrote. */
class FakeSocket extends Duplex {
  readonly written: Buffer[] = [];
  private readonly frames: { type: number; payload: Buffer }[] = [];
  private readonly parser = new FrameParser(1 << 24, (type, payload) => this.frames.push({ type, payload: Buffer.from(payload) }));
  private handshakeSeen = false;

  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.written.push(chunk);
    if (!this.handshakeSeen) {
      this.handshakeSeen = true;
      if (chunk.length > 4) this.parser.push(chunk.subarray(4));
    } else {
      this.parser.push(chunk);
    }
    this.emit('wrote');
    done();
  }

  receive(bytes: number[] | Buffer): void {
    this.push(Buffer.from(bytes));
  }

  get reply(): number[] {
    return [...(this.written[0] ?? [])];
  }

  /** Waits for a frame the router wrote (after the handshake reply). */
  async frame(type: number): Promise<Buffer> {
    for (;;) {
      const index = this.frames.findIndex((frame) => frame.type === type);
      if (index >= 0) return this.frames.splice(index, 1)[0]!.payload;
      await once(this, 'wrote');
    }
  }
}

interface FakeLink extends SessionLink {
  peer: Peer;
  helloTimeoutMs: number;
  received: unknown[];
  garbage: string[];
  detached: boolean;
}

function harness(options: Partial<RawSocketServiceOptions> = {}) {
  const links: FakeLink[] = [];
  const metrics = new MetricsRegistry();
  const service = new RawSocketService((peer, helloTimeoutMs) => {
    const link: FakeLink = {
      peer, helloTimeoutMs, received: [], garbage: [], detached: false,
      receive: (decoded) => link.received.push(decoded),
      receiveGarbage: (reason) => link.garbage.push(reason),
      detach: () => (link.detached = true),
    };
    links.push(link);
    return link;
  }, {
    codecs: [jsonCodec, msgpackCodec, cborCodec],
    maxMessageSize: 1_048_576,
    maxConnections: 100,
    maxPerAddress: 0,
    autoPingInterval: 0,
    autoPingTimeout: 1_000,
    openHandshakeTimeout: 5_000,
    maxBufferedBytes: 1 << 20,
    ...options,
  }, silentLogger, metrics);
  /** A TCP connection from `address`, or with 'unix' one over a Unix socket (no address). */
  const connect = (address = '127.0.0.1'): FakeSocket => {
    const socket = new FakeSocket();
    if (address === 'unix') service.accept(socket, 'unix:/run/junction.sock');
    else service.accept(socket, `tcp4:${address}:50000`, address);
    return socket;
  };
  const counter = (name: string, labels?: Record<string, string>): number => metrics.counter(name, '').value(labels);
  return { service, links, connect, counter };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const jsonFrame = (message: unknown[]): Buffer => encodeFrame(FrameType.message, Buffer.from(JSON.stringify(message)));
const hello = [1, 'realm1', { roles: { caller: {} } }];

describe('RawSocketService', () => {
  // The service's timers are unref'd (a real server holds the process open); fake sockets do not.
  let holdOpen: ReturnType<typeof setInterval>;
  before(() => (holdOpen = setInterval(() => {}, 60_000)));
  after(() => clearInterval(holdOpen));

  it('accepts a handshake that arrives one octet at a time, answering with the router\'s own length', async () => {
    const { connect, links } = harness();
    const socket = connect();
    for (const octet of [0x7f, 0xf1, 0x00, 0x00]) {
      socket.receive([octet]);
      await settle();
    }
    assert.deepEqual(socket.reply, [0x7f, 0xb1, 0, 0], '1 MiB = 2^(9+11), JSON echoed');
    assert.equal(links.length, 1);
    assert.deepEqual(links[0]!.peer.transport, {
      type: 'rawsocket', serializer: 'json', peer: 'tcp4:127.0.0.1:50000',
      extra: { max_message_size_received: 1_048_576, max_message_size_sent: 16_777_216 },
    });
    assert.ok(links[0]!.helloTimeoutMs > 0 && links[0]!.helloTimeoutMs <= 5_000, 'the WAMP opening gets what is left of open_handshake_timeout');
  });

  it('takes frames that arrive in the same chunk as the handshake', async () => {
    const { connect, links } = harness();
    const socket = connect();
    socket.receive(Buffer.concat([Buffer.from([0x7f, 0xf2, 0, 0]), encodeFrame(FrameType.message, msgpackCodec.encode(hello) as Uint8Array),
      encodeFrame(FrameType.message, msgpackCodec.encode([6, {}, 'wamp.close.normal']) as Uint8Array)]));
    await settle();
    assert.equal(links[0]!.peer.transport.serializer, 'msgpack');
    assert.deepEqual(links[0]!.received, [hello, [6, {}, 'wamp.close.normal']]);
  });

  it('fails a connection that does not start with the magic octet, without a reply', async () => {
    const { connect, links, counter } = harness();
    const socket = connect();
    socket.receive(Buffer.from('GET / HTTP/1.1\r\n'));
    await settle();
    assert.equal(socket.destroyed, true);
    assert.deepEqual(socket.written, []);
    assert.equal(links.length, 0);
    assert.equal(counter('junction_rawsocket_refused_handshakes_total', { reason: 'magic' }), 1);
  });

  const refusals: [string, number[], Partial<RawSocketServiceOptions>, number, string][] = [
    ['a serializer it does not serve', [0x7f, 0xf3, 0, 0], { codecs: [jsonCodec] }, 0x10, 'serializer'],
    ['a serializer the spec does not define', [0x7f, 0xf6, 0, 0], {}, 0x10, 'serializer'],
    ['the illegal serializer 0', [0x7f, 0xf0, 0, 0], {}, 0x10, 'serializer'],
    ['a receive limit of 512 octets, too small for a WELCOME', [0x7f, 0x01, 0, 0], {}, 0x20, 'max_length'],
    ['a receive limit below the configured minimum', [0x7f, 0x31, 0, 0], { minClientLength: 8_192 }, 0x20, 'max_length'],
    ['reserved octets in use', [0x7f, 0xf1, 0, 1], {}, 0x30, 'reserved_bits'],
  ];
  for (const [what, handshake, options, reply, reason] of refusals) {
    it(`refuses ${what} with error ${reply >> 4}, then closes`, async () => {
      const { connect, links, counter } = harness(options);
      const socket = connect();
      socket.receive(handshake);
      await settle();
      assert.deepEqual(socket.reply, [0x7f, reply, 0, 0]);
      assert.equal(socket.writableEnded, true);
      assert.equal(links.length, 0);
      assert.equal(counter('junction_rawsocket_refused_handshakes_total', { reason }), 1);
    });
  }

  it('refuses connections over max_connections with error 4 and accepts again once one closed', async () => {
    const { connect, links, service } = harness({ maxConnections: 2 });
    const first = connect();
    const second = connect();
    for (const socket of [first, second]) socket.receive([0x7f, 0xf1, 0, 0]);
    const third = connect();
    third.receive([0x7f, 0xf1, 0, 0]);
    await settle();
    assert.deepEqual(third.reply, [0x7f, 0x40, 0, 0]);
    assert.equal(links.length, 2);
    assert.equal(service.connectionCount, 2);
    first.destroy();
    await once(first, 'close');
    assert.equal(links[0]!.detached, true);
    assert.equal(service.connectionCount, 1);
    const fourth = connect();
    fourth.receive([0x7f, 0xf1, 0, 0]);
    await settle();
    assert.deepEqual(fourth.reply, [0x7f, 0xb1, 0, 0]);
  });

  it('refuses a connection over max_per_address with error 4, counted apart; other addresses and Unix sockets are not held to it', async () => {
    const { connect, links, counter } = harness({ maxPerAddress: 1 });
    const first = connect('192.0.2.1');
    first.receive([0x7f, 0xf1, 0, 0]);
    const second = connect('192.0.2.1');
    second.receive([0x7f, 0xf1, 0, 0]);
    const elsewhere = connect('192.0.2.2');
    const unixOnes = [connect('unix'), connect('unix')];
    for (const socket of [elsewhere, ...unixOnes]) socket.receive([0x7f, 0xf1, 0, 0]);
    await settle();
    assert.deepEqual(second.reply, [0x7f, 0x40, 0, 0]);
    assert.equal(counter('junction_rawsocket_refused_handshakes_total', { reason: 'max_per_address' }), 1);
    assert.equal(links.length, 4);
    first.destroy();
    await once(first, 'close');
    const again = connect('192.0.2.1');
    again.receive([0x7f, 0xf1, 0, 0]);
    await settle();
    assert.deepEqual(again.reply, [0x7f, 0xb1, 0, 0]);
  });

  it('drops a connection whose handshake does not arrive within open_handshake_timeout', async () => {
    const { connect, counter } = harness({ openHandshakeTimeout: 30 });
    const socket = connect();
    socket.receive([0x7f, 0xf1]);
    await once(socket, 'close');
    assert.deepEqual(socket.written, []);
    assert.equal(counter('junction_rawsocket_refused_handshakes_total', { reason: 'timeout' }), 1);
  });

  it('answers a PING with a PONG carrying the same payload', async () => {
    const { connect } = harness();
    const socket = connect();
    socket.receive(Buffer.concat([Buffer.from([0x7f, 0xf1, 0, 0]), encodeFrame(FrameType.ping, Buffer.from('are you there?'))]));
    assert.equal((await socket.frame(FrameType.pong)).toString(), 'are you there?');
  });

  it('aborts the session and closes on a frame longer than the router announced', async () => {
    const { connect, links, counter } = harness({ maxMessageSize: 1_024 });
    const socket = connect();
    socket.receive([0x7f, 0xf1, 0, 0]);
    await settle();
    assert.deepEqual(socket.reply, [0x7f, 0x11, 0, 0]);
    socket.receive(Buffer.concat([jsonFrame(hello), Buffer.from([0, 0, 0x04, 0x01])]));
    await settle();
    assert.deepEqual(links[0]!.received, [hello]);
    assert.deepEqual(links[0]!.garbage, ['frame of 1025 octets exceeds the 1024 octets this router accepts']);
    assert.equal(socket.writableEnded, true);
    assert.equal(counter('junction_rawsocket_oversized_frames_total'), 1);
  });

  it('aborts the session and closes on a reserved frame type', async () => {
    const { connect, links, counter } = harness();
    const socket = connect();
    socket.receive([0x7f, 0xf1, 0, 0, 0x03, 0, 0, 0]);
    await settle();
    assert.match(links[0]!.garbage[0]!, /frame type 3 is reserved/);
    assert.equal(socket.writableEnded, true);
    assert.equal(counter('junction_rawsocket_protocol_errors_total', { kind: 'unknown-type' }), 1);
  });

  it('reports a payload that does not decode in the negotiated serializer', async () => {
    const { connect, links } = harness();
    const socket = connect();
    socket.receive(Buffer.concat([Buffer.from([0x7f, 0xf1, 0, 0]), encodeFrame(FrameType.message, Buffer.from('[1, "realm1"'))]));
    await settle();
    assert.match(links[0]!.garbage[0]!, /^could not decode the message as json: /);
  });

  it('pings after a quiet interval and keeps a connection that answers', async () => {
    const { connect, counter } = harness({ autoPingInterval: 20, autoPingTimeout: 2_000 });
    const socket = connect();
    socket.receive([0x7f, 0xf1, 0, 0]);
    for (let round = 0; round < 2; round++) {
      const payload = await socket.frame(FrameType.ping);
      assert.equal(payload.length, 8);
      socket.receive(encodeFrame(FrameType.pong, payload));
    }
    assert.equal(socket.destroyed, false);
    assert.equal(counter('junction_rawsocket_ping_timeouts_total'), 0);
    socket.destroy();
  });

  it('drops a connection that does not answer its PING within auto_ping_timeout', async () => {
    const { connect, counter, links } = harness({ autoPingInterval: 20, autoPingTimeout: 20 });
    const socket = connect();
    socket.receive([0x7f, 0xf1, 0, 0]);
    const payload = await socket.frame(FrameType.ping);
    socket.receive(encodeFrame(FrameType.pong, Buffer.from(payload.map((octet) => octet ^ 0xff)))); // not an echo
    await once(socket, 'close');
    assert.equal(counter('junction_rawsocket_ping_timeouts_total'), 1);
    assert.equal(links[0]!.detached, true);
  });

  it('closes its side when the client ends its side (half-open sockets from an HTTP server)', { timeout: 5_000 }, async () => {
    const { connect, links, service } = harness();
    const socket = connect(); // a Duplex is half-open by default, as http.Server's sockets are
    socket.receive([0x7f, 0xf1, 0, 0]);
    await settle();
    socket.push(null); // the client's FIN
    await once(socket, 'close');
    assert.equal(links[0]!.detached, true);
    assert.equal(service.connectionCount, 0);
  });

  it('sends what the router hands the peer as frames, and closes every connection on close()', async () => {
    const { connect, links, service } = harness();
    const sockets = [connect(), connect()];
    for (const socket of sockets) socket.receive([0x7f, 0xf1, 0, 0]);
    await settle();
    links[0]!.peer.send(new Envelope({ type: MessageType.WELCOME, session: 1, details: {} }));
    assert.deepEqual(JSON.parse((await sockets[0]!.frame(FrameType.message)).toString()), [2, 1, {}]);
    const closing = service.close();
    for (const socket of sockets) socket.end(); // the far end answers the close
    await closing;
    assert.equal(service.connectionCount, 0);
    assert.ok(links.every((link) => link.detached));
    const late = connect();
    assert.equal(late.destroyed, true, 'a stopping service takes no new connections');
  });
});
