import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { anonymousGate } from '../../src/auth/anonymous.js';
import { defaultRealmLimits } from '../../src/config/schema-router.js';
import { allCodecs, type Codec } from '../../src/codec/index.js';
import { MessageType } from '../../src/protocol/codes.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import { parseMessage } from '../../src/protocol/parse.js';
import { allowEverything } from '../../src/router/hooks.js';
import type { Peer, SessionLink } from '../../src/router/peer.js';
import { Router } from '../../src/router/router.js';
import { encodeFrame, FrameParser, FrameType, MAX_FRAME_PAYLOAD } from '../../src/transport/rawsocket/framing.js';
import { startTestNode, testConfig } from '../support/node.js';
import { Arrivals } from '../support/wait.js';
import { checkFuzz, fuzzRuns, fuzzSeed } from '../support/fuzz.js';
import { asBytes, decodedMessage, framesFor, samples } from '../support/wamp-fuzz.js';
import { addRawSocketListener } from '../transport/rawsocket-support.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';

/**
 * Property-based fuzzing of what a client can send: bytes for every codec's decoder, decoded
 * values for the parser and the session state machine, RawSocket framing and handshakes. The
 * budget is bounded (a few seconds in CI). Every property runs with one seed, printed when a
 * property fails; FUZZ_SEED=<seed> replays it, FUZZ_RUNS=<n> scales every budget.
 */

// ---- in process: the decoder, the parser and the session state machine ----

/** A peer that encodes every message the router sends in its codec, as a transport would. */
class EncodingPeer implements Peer {
  readonly transport;
  closed = false;
  replies: unknown[] = [];
  link!: SessionLink;

  constructor(private readonly codec: Codec) {
    this.transport = { type: 'fuzz', serializer: codec.name, peer: 'fuzz' };
  }

  send(envelope: Envelope): void {
    this.replies.push(this.codec.decode(envelope.encode(this.codec)));
  }

  close(): void {
    this.closed = true;
  }

  /** What a transport does with one incoming frame. */
  frame(bytes: Uint8Array): void {
    let decoded: unknown;
    try {
      decoded = this.codec.decode(this.codec.binary ? bytes : Buffer.from(bytes).toString('utf8'));
    } catch (error) {
      assert.ok(error instanceof Error, 'a decoder throws Errors only');
      this.link.receiveGarbage(`could not decode: ${error.message}`);
      return;
    }
    this.link.receive(decoded, bytes.length);
  }
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function fuzzRouter(): Router {
  return new Router({ realms: [{ name: 'realm1', authorizer: allowEverything, uriCheck: 'loose', limits: defaultRealmLimits }], helloTimeoutMs: 0 });
}

async function joinedPeer(router: Router, codec: Codec, sessionSeries = false): Promise<EncodingPeer> {
  const peer = new EncodingPeer(codec);
  peer.link = router.attach(peer, anonymousGate('anonymous'), { sessionSeries });
  peer.frame(asBytes(codec.encode(samples[0]!)));
  await flush();
  assert.equal((peer.replies.shift() as unknown[])[0], MessageType.WELCOME);
  return peer;
}

/** Two fresh sessions of `router` exchange an event: the router still serves. */
async function stillServes(router: Router, codec: Codec): Promise<void> {
  const subscriber = await joinedPeer(router, codec);
  const publisher = await joinedPeer(router, codec);
  subscriber.frame(asBytes(codec.encode([32, 1, {}, 'health'])));
  publisher.frame(asBytes(codec.encode([16, 1, {}, 'health', ['ok']])));
  await flush();
  assert.ok(subscriber.replies.some((m) => (m as unknown[])[0] === MessageType.EVENT), JSON.stringify(subscriber.replies));
  subscriber.link.detach();
  publisher.link.detach();
}

describe(`fuzz (seed ${fuzzSeed}): decoders and the parser never throw`, () => {
  for (const codec of allCodecs) {
    it(`${codec.name}: any bytes decode to a value or fail with an Error; the parser judges every value without throwing`, async () => {
      await checkFuzz(`${codec.name} decode+parse`, fc.property(framesFor(codec), (bytes) => {
        let decoded: unknown;
        try {
          decoded = codec.decode(codec.binary ? bytes : Buffer.from(bytes).toString('utf8'));
        } catch (error) {
          assert.ok(error instanceof Error);
          return;
        }
        const parsed = parseMessage(decoded);
        if (!parsed.ok) assert.ok(parsed.error.length > 0);
      }), 2_000);
    });
  }

  it('the parser judges arbitrary values without throwing, and every refusal has a reason', async () => {
    await checkFuzz('parse', fc.property(fc.oneof(decodedMessage, fc.anything({ maxDepth: 3 })), (decoded) => {
      const parsed = parseMessage(decoded);
      if (!parsed.ok) assert.ok(parsed.error.length > 0);
    }), 3_000);
  });
});

describe(`fuzz (seed ${fuzzSeed}): sessions fed fuzzed frames`, () => {
  for (const codec of allCodecs) {
    it(`${codec.name}: a session before HELLO and an established one take any frame without a throw escaping`, async () => {
      const router = fuzzRouter();
      await router.ready();
      const realm = router.realm('realm1')!;
      // The meta API's own registrations are there from the start.
      const baseline = [0, realm.broker.subscriptionCount(), realm.dealer.registrationCount()];
      await checkFuzz(`${codec.name} before HELLO`, fc.property(framesFor(codec), (bytes) => {
        const peer = new EncodingPeer(codec);
        peer.link = router.attach(peer, anonymousGate('anonymous'));
        peer.frame(bytes);
        peer.link.detach();
      }), 300);
      await checkFuzz(`${codec.name} established`, fc.asyncProperty(fc.array(framesFor(codec), { minLength: 1, maxLength: 5 }), async (frames) => {
        const peer = await joinedPeer(router, codec, true);
        for (const bytes of frames) peer.frame(bytes);
        await flush();
        peer.link.detach();
      }), 200);
      assert.deepEqual([realm.sessions.size, realm.broker.subscriptionCount(), realm.dealer.registrationCount()], baseline,
        'every fuzzed session is gone, with its subscriptions and registrations');
      await stillServes(router, codec);
    });
  }
});

describe(`fuzz (seed ${fuzzSeed}): RawSocket framing`, () => {
  it('the frame parser never throws, and frames split at any points arrive whole and in order', async () => {
    const frame = fc.tuple(fc.constantFrom(FrameType.message, FrameType.ping, FrameType.pong), fc.uint8Array({ maxLength: 40 }));
    await checkFuzz('framing', fc.property(fc.array(frame, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 8 }), fc.uint8Array({ maxLength: 16 }),
      (frames, cuts, junk) => {
        const stream = Buffer.concat([...frames.map(([type, payload]) => encodeFrame(type, payload)), junk]);
        const got: [number, string][] = [];
        const parser = new FrameParser(MAX_FRAME_PAYLOAD, (type, payload) => got.push([type, payload.toString('hex')]));
        const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        let failed = false;
        for (const to of [...points, stream.length]) {
          if (failed) break;
          failed = parser.push(stream.subarray(from, to)) !== undefined;
          from = to;
        }
        const expected = frames.map(([type, payload]) => [type, Buffer.from(payload).toString('hex')]);
        assert.deepEqual(got.slice(0, expected.length), expected, 'the well-formed frames before the junk');
      }), 2_000);
  });
});

// ---- over real transports: the router keeps serving ----

const config = testConfig({ openHandshakeTimeout: 1_000 });
addRawSocketListener(config, 'raw', { openHandshakeTimeout: 1_000 });
const node = await startTestNode(config);
after(() => node.stop());
const rawPort = node.ports.get('raw')!;

/** A WebSocket client of any codec: sends raw frames, collects decoded messages. */
class CodecWebSocket {
  readonly messages: unknown[][] = [];
  closed = false;
  private readonly arrivals = new Arrivals({
    stopped: () => (this.closed ? 'connection closed' : undefined),
    received: () => `got ${JSON.stringify(this.messages)}`,
  });

  private constructor(readonly ws: WebSocket, private readonly codec: Codec) {
    ws.on('message', (data: Buffer) => {
      this.messages.push(codec.decode(codec.binary ? data : data.toString('utf8')) as unknown[]);
      this.arrivals.wake();
    });
    ws.on('close', () => {
      this.closed = true;
      this.arrivals.wake();
    });
    ws.on('error', () => {});
  }

  static async open(codec: Codec): Promise<CodecWebSocket> {
    const ws = new WebSocket(node.url, [codec.subprotocol]);
    const client = new CodecWebSocket(ws, codec);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(message: unknown[]): void {
    this.frame(asBytes(this.codec.encode(message)));
  }

  frame(bytes: Uint8Array): void {
    this.ws.send(this.codec.binary ? bytes : Buffer.from(bytes).toString('utf8'));
  }

  /** Resolves with the first message satisfying `match`, or undefined once the connection closed. */
  async until(match: (message: unknown[]) => boolean): Promise<unknown[] | undefined> {
    try {
      await this.arrivals.until(() => this.messages.some(match), 'a matching message', 5_000);
    } catch (error) {
      if (this.closed) return undefined;
      throw error;
    }
    return this.messages.find(match);
  }
}

describe(`fuzz (seed ${fuzzSeed}): fuzzed frames over real connections`, () => {
  for (const codec of allCodecs) {
    it(`WebSocket ${codec.name}: each fuzzed frame is answered or ends its own session; a bystander keeps being served`, async () => {
      const bystander = await CodecWebSocket.open(codec);
      bystander.send(samples[0]!);
      assert.equal((await bystander.until((m) => m[0] === MessageType.WELCOME))?.[0], MessageType.WELCOME);
      const inputs = fc.sample(fc.array(framesFor(codec), { minLength: 1, maxLength: 3 }), { seed: fuzzSeed, numRuns: fuzzRuns(25) });
      for (const [i, frames] of inputs.entries()) {
        const client = await CodecWebSocket.open(codec);
        client.send(samples[0]!);
        for (const bytes of frames) client.frame(bytes);
        // A call behind the fuzz: it is answered, or the session was ended; either way within the wait.
        client.send([48, 424242, {}, 'wamp.session.count']);
        await client.until((m) => m[1] === 424242);
        client.ws.terminate();
        bystander.send([48, i + 1, {}, 'wamp.session.count']);
        assert.equal((await bystander.until((m) => m[1] === i + 1))?.[0], MessageType.RESULT, `after input ${i}: ${JSON.stringify(frames)}`);
      }
      bystander.ws.terminate();
    });
  }

  it('RawSocket: fuzzed handshakes and fuzzed octets after the handshake leave the router serving', async () => {
    const bystander = await RawSocketClient.open({ port: rawPort });
    assert.equal((await bystander.hello())[0], MessageType.WELCOME);
    const handshakes = fc.sample(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
      { seed: fuzzSeed, numRuns: fuzzRuns(20) });
    for (const handshake of handshakes) {
      const { client } = await RawSocketClient.connect({ port: rawPort }, { handshake });
      client.close();
    }
    const streams = fc.sample(fc.array(fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc.tuple(fc.integer({ min: 0, max: 255 }), framesFor(allCodecs[0]!)).map(([type, payload]) => encodeFrame((type % 4) as FrameType, payload)),
    ), { minLength: 1, maxLength: 4 }), { seed: fuzzSeed, numRuns: fuzzRuns(25) });
    for (const [i, chunks] of streams.entries()) {
      const client = await RawSocketClient.open({ port: rawPort });
      client.send(samples[0]!);
      for (const chunk of chunks) client.write(chunk);
      client.close();
      bystander.send([48, i + 1, {}, 'wamp.session.count']);
      assert.equal((await bystander.next((m) => m[1] === i + 1))[0], MessageType.RESULT, `after stream ${i}`);
    }
    bystander.close();
  });
});
