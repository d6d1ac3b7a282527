/**
 * WAMP over HTTP long-poll at the protocol level, with Node's fetch: open, send, receive (held,
 * batched, timed out), close; limits (queue, body size, session timeout); bad requests; CORS;
 * shutdown. A WebSocket client on the same realm publishes and watches session meta events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cborCodec, jsonCodec, msgpackCodec, type Codec } from '../../src/codec/index.js';
import type { JunctionConfig, LongPollService } from '../../src/config/model.js';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig, testLongPoll } from '../support/node.js';
import { decodeBody, encodeBody, openTransport, post, type HttpAnswer } from './behaviour/drivers/longpoll.js';

function longPoll(overrides: Partial<LongPollService> = {}): LongPollService {
  return testLongPoll({ requestTimeoutMs: 250, maxMessageSize: 4_096, ...overrides });
}

/** Crossbar's longpoll_curl example's debug_transport_id. */
const fixedId = 'kjmd3sBLOUnb3Fyr';

function config(): JunctionConfig {
  const base = testConfig();
  Object.assign(base.listeners[0]!.paths, {
    '/lp': longPoll(),
    '/lp-small': longPoll({ queueLimitMessages: 3, queueLimitBytes: 2_000 }),
    '/lp-short': longPoll({ sessionTimeoutMs: 300, requestTimeoutMs: 100 }),
    '/lp-json': longPoll({ serializers: ['json'] }),
    '/lp-fixed': longPoll({ debugTransportId: fixedId, requestTimeoutMs: 2_000, sessionTimeoutMs: 1_000 }),
  });
  return base;
}

const node = await startTestNode(config());
after(() => node.stop());
const http = `http://127.0.0.1:${node.ports.get('test')}`;

const metric = (name: string): number => {
  const lines = node.metrics.exposition().split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return lines.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
};

/** A WebSocket session that publishes, and hears every session leave (wamp.session.on_leave). */
let watcher: RawClient;
before(async () => {
  watcher = await RawClient.open(node.url);
  await watcher.hello();
  watcher.send([32, 1, {}, 'wamp.session.on_leave']);
  await watcher.next((m) => m[0] === 33);
});
after(() => watcher.close());

let publications = 100;
async function publish(topic: string, args: unknown[]): Promise<void> {
  const request = ++publications;
  watcher.send([16, request, { acknowledge: true }, topic, args]);
  await watcher.next((m) => m[0] === 17 && m[1] === request);
}

/** Resolves when the router reports that session `id` left. */
function left(id: unknown): Promise<unknown[]> {
  return watcher.next((m) => m[0] === 36 && (m[4] as unknown[])[0] === id);
}

/** A transport at `base` with an established session. */
async function session(base = `${http}/lp`, codec: Codec = jsonCodec, batched = false): Promise<{ url: string; id: number; receive(): Promise<unknown[][]> }> {
  const protocol = `${codec.subprotocol}${batched ? '.batched' : ''}`;
  const { transport } = await openTransport(base, [protocol]);
  const url = `${base}/${transport}`;
  const send = await post(`${url}/send`, encodeBody(codec, batched, [[1, 'realm1', { roles: { subscriber: {}, publisher: {}, caller: {}, callee: {} } }]]));
  assert.equal(send.status, 204);
  const receive = async (): Promise<unknown[][]> => {
    // Bounded: a poll that times out (204) is simply repeated, as clients do.
    for (let attempt = 0; attempt < 40; attempt++) {
      const answer = await post(`${url}/receive`);
      if (answer.status === 200) return decodeBody(codec, batched, answer.body);
      assert.equal(answer.status, 204, `receive answered ${answer.status}: ${answer.body.toString()}`);
    }
    throw new Error('nothing received');
  };
  const [welcome] = await receive();
  assert.equal(welcome![0], 2, `expected WELCOME, got ${JSON.stringify(welcome)}`);
  return { url, id: welcome![1] as number, receive };
}

async function subscribe(url: string, topic: string, receive: () => Promise<unknown[][]>, codec: Codec = jsonCodec, batched = false): Promise<void> {
  assert.equal((await post(`${url}/send`, encodeBody(codec, batched, [[32, 1, {}, topic]]))).status, 204);
  const [subscribed] = await receive();
  assert.equal(subscribed![0], 33);
}

function errorOf(answer: HttpAnswer): { error: string; message: string } {
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  return JSON.parse(answer.body.toString()) as { error: string; message: string };
}

describe('long-poll transport: opening', () => {
  it('answers open with an unguessable URL-safe transport id (128 bits) and the protocol', async () => {
    const answer = await post(`${http}/lp/open`, JSON.stringify({ protocols: ['wamp.2.json'] }), { headers: { 'content-type': 'application/json' } });
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.match(answer.headers.get('cache-control') ?? '', /no-store/);
    const opened = JSON.parse(answer.body.toString()) as { transport: string; protocol: string };
    assert.equal(opened.protocol, 'wamp.2.json');
    assert.match(opened.transport, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(Buffer.from(opened.transport, 'base64url').length, 16);
    const ids = new Set<string>([opened.transport]);
    for (let i = 0; i < 20; i++) ids.add((await openTransport(`${http}/lp`, ['wamp.2.json'])).transport);
    assert.equal(ids.size, 21, 'every open gets a fresh id');
  });

  it("picks the first of the client's offers that it speaks, batched variants included", async () => {
    assert.equal((await openTransport(`${http}/lp`, ['wamp.2.ubjson', 'wamp.2.cbor.batched', 'wamp.2.json'])).protocol, 'wamp.2.cbor.batched');
    assert.equal((await openTransport(`${http}/lp`, ['wamp.2.msgpack', 'wamp.2.json.batched'])).protocol, 'wamp.2.msgpack');
    // The spec lets clients add a cache-busting query parameter `x`; it is ignored.
    const busted = await post(`${http}/lp/open?x=382913`, JSON.stringify({ protocols: ['wamp.2.json'] }));
    assert.equal(busted.status, 200);
    const { transport } = JSON.parse(busted.body.toString()) as { transport: string };
    assert.equal((await post(`${http}/lp/${transport}/close?x=382914`)).status, 204);
  });

  it('refuses an offer with no common protocol, naming the ones it speaks', async () => {
    const answer = await post(`${http}/lp-json/open`, JSON.stringify({ protocols: ['wamp.2.msgpack', 'wamp.2.cbor'] }));
    assert.equal(answer.status, 400);
    const { error, message } = errorOf(answer);
    assert.equal(error, 'no_common_protocol');
    assert.match(message, /wamp\.2\.msgpack, wamp\.2\.cbor/);
    assert.match(message, /wamp\.2\.json\.batched, wamp\.2\.json$/);
  });

  for (const [what, body, expected] of [
    ['a body that is not JSON', '{protocols:', /not JSON/],
    ['a JSON array', '["wamp.2.json"]', /JSON object/],
    ['no protocols', '{}', /"protocols" must be a non-empty list/],
    ['protocols that are not strings', '{"protocols": [2]}', /"protocols" must be a non-empty list/],
    ['an empty list', '{"protocols": []}', /"protocols" must be a non-empty list/],
  ] as const) {
    it(`answers 400 with a JSON explanation to an open with ${what}`, async () => {
      const answer = await post(`${http}/lp/open`, body);
      assert.equal(answer.status, 400);
      const { error, message } = errorOf(answer);
      assert.equal(error, 'bad_open_request');
      assert.match(message, expected);
    });
  }

  it('answers 413 to an oversized open body', async () => {
    const answer = await post(`${http}/lp/open`, JSON.stringify({ protocols: ['wamp.2.json'], pad: 'x'.repeat(5_000) }));
    assert.equal(answer.status, 413);
    assert.equal(errorOf(answer).error, 'body_too_large');
  });
});

describe('long-poll transport: messages', () => {
  for (const codec of [jsonCodec, msgpackCodec, cborCodec]) {
    for (const batched of [false, true]) {
      const protocol = `${codec.subprotocol}${batched ? '.batched' : ''}`;
      it(`${protocol}: HELLO gets WELCOME, with the serializer's content type`, async () => {
        const { transport } = await openTransport(`${http}/lp`, [protocol]);
        const url = `${http}/lp/${transport}`;
        assert.equal((await post(`${url}/send`, encodeBody(codec, batched, [[1, 'realm1', { roles: { subscriber: {} } }]]))).status, 204);
        const answer = await post(`${url}/receive`);
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.get('content-type'), { json: 'application/json; charset=utf-8', msgpack: 'application/x-msgpack', cbor: 'application/cbor' }[codec.name]);
        const [welcome, ...rest] = decodeBody(codec, batched, answer.body);
        assert.equal(welcome![0], 2);
        assert.deepEqual(rest, []);
        assert.equal((await post(`${url}/close`)).status, 204);
      });
    }
  }

  it('unbatched: queued events come one per receive, in order', async () => {
    const subscriber = await session();
    await subscribe(subscriber.url, 'lp.order', subscriber.receive);
    for (const n of [1, 2, 3]) await publish('lp.order', [n]);
    const got: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const messages = await subscriber.receive();
      assert.equal(messages.length, 1);
      got.push((messages[0]![4] as unknown[])[0]);
    }
    assert.deepEqual(got, [1, 2, 3]);
    await post(`${subscriber.url}/close`);
  });

  it('batched: every queued message comes in one receive, in order', async () => {
    for (const codec of [jsonCodec, msgpackCodec]) {
      const subscriber = await session(`${http}/lp`, codec, true);
      await subscribe(subscriber.url, 'lp.batch', subscriber.receive, codec, true);
      for (const n of [1, 2, 3, 4]) await publish('lp.batch', [n]);
      const messages = await subscriber.receive();
      assert.deepEqual(messages.map((m) => [m[0], (m[4] as unknown[])[0]]), [[36, 1], [36, 2], [36, 3], [36, 4]], codec.name);
      await post(`${subscriber.url}/close`);
    }
  });

  it('batched: a send body may carry several messages, and Autobahn|Python’s 0x18 separator is accepted', async () => {
    const { transport } = await openTransport(`${http}/lp`, ['wamp.2.json.batched']);
    const url = `${http}/lp/${transport}`;
    const body = Buffer.from('[1,"realm1",{"roles":{"caller":{}}}]\u0018[48,7,{},"wamp.session.count"]\u001e');
    assert.equal((await post(`${url}/send`, body)).status, 204);
    const got: unknown[][] = [];
    while (got.length < 2) {
      const answer = await post(`${url}/receive`);
      if (answer.status === 200) got.push(...decodeBody(jsonCodec, true, answer.body));
    }
    assert.deepEqual([got[0]![0], got[1]![0], got[1]![1]], [2, 50, 7]);
    await post(`${url}/close`);
  });

  it('holds a receive until a message comes', async () => {
    const subscriber = await session(`${http}/lp`, jsonCodec);
    await subscribe(subscriber.url, 'lp.held', subscriber.receive);
    const held = subscriber.receive();
    await publish('lp.held', ['now']);
    const [event] = await held;
    assert.deepEqual([event![0], event![4]], [36, ['now']]);
    await post(`${subscriber.url}/close`);
  });

  it('answers a held receive with 204 and no body when request_timeout passes', async () => {
    const subscriber = await session();
    const answer = await post(`${subscriber.url}/receive`);
    assert.equal(answer.status, 204);
    assert.equal(answer.body.length, 0);
    await post(`${subscriber.url}/close`);
  });

  it('a second receive ends the first one empty and gets the next message', async () => {
    const subscriber = await session(`${http}/lp-short`);
    await subscribe(subscriber.url, 'lp.second', subscriber.receive);
    const first = post(`${subscriber.url}/receive`);
    const second = subscriber.receive();
    const firstAnswer = await first;
    assert.equal(firstAnswer.status, 204);
    await publish('lp.second', ['x']);
    assert.deepEqual((await second)[0]![4], ['x']);
    await post(`${subscriber.url}/close`);
  });

  it('GOODBYE: the reply is delivered, then receive answers 410, close 204, and the id is gone (404)', async () => {
    const client = await session();
    const leaving = left(client.id);
    assert.equal((await post(`${client.url}/send`, JSON.stringify([6, {}, 'wamp.close.close_realm']))).status, 204);
    const [goodbye] = await client.receive();
    assert.deepEqual(goodbye, [6, {}, 'wamp.close.normal']);
    await leaving;
    const after = await post(`${client.url}/receive`);
    assert.equal(after.status, 410);
    assert.equal(errorOf(after).error, 'transport_closed');
    assert.equal((await post(`${client.url}/close`)).status, 204);
    assert.equal((await post(`${client.url}/receive`)).status, 404);
  });

  it('close detaches the session from the router', async () => {
    const client = await session();
    const leaving = left(client.id);
    assert.equal((await post(`${client.url}/close`)).status, 204);
    await leaving;
    assert.equal((await post(`${client.url}/send`, '[]')).status, 404);
  });
});

describe('long-poll transport: limits', () => {
  it('closes a transport whose queue passes queue_limit_messages (slow consumer), and only that one', async () => {
    const slow = await session(`${http}/lp-small`);
    await subscribe(slow.url, 'lp.flood', slow.receive);
    const before = metric('junction_longpoll_slow_consumer_closed_total');
    const leaving = left(slow.id);
    for (let n = 1; n <= 4; n++) await publish('lp.flood', [n]);
    await leaving;
    assert.equal(metric('junction_longpoll_slow_consumer_closed_total'), before + 1);
    const answer = await post(`${slow.url}/receive`);
    assert.equal(answer.status, 410);
    assert.match(errorOf(answer).message, /slow consumer: more than 3 messages or 2000 bytes/);
    const healthy = await session(`${http}/lp-small`);
    await post(`${healthy.url}/close`);
  });

  it('closes a transport whose queue passes queue_limit_bytes', async () => {
    const slow = await session(`${http}/lp-small`);
    await subscribe(slow.url, 'lp.heavy', slow.receive);
    const before = metric('junction_longpoll_slow_consumer_closed_total');
    const leaving = left(slow.id);
    await publish('lp.heavy', ['a'.repeat(1_200)]);
    await publish('lp.heavy', ['b'.repeat(1_200)]);
    await leaving;
    assert.equal(metric('junction_longpoll_slow_consumer_closed_total'), before + 1);
    assert.equal((await post(`${slow.url}/receive`)).status, 410);
  });

  it('accepts one message larger than queue_limit_bytes into an empty queue', async () => {
    const subscriber = await session(`${http}/lp-small`);
    await subscribe(subscriber.url, 'lp.single', subscriber.receive);
    await publish('lp.single', ['c'.repeat(3_000)]);
    assert.equal(((await subscriber.receive())[0]![4] as string[])[0]!.length, 3_000);
    await post(`${subscriber.url}/close`);
  });

  it('answers 413 to a send body over max_message_size and closes the transport', async () => {
    const client = await session();
    const before = metric('junction_longpoll_oversized_messages_total');
    const leaving = left(client.id);
    const answer = await post(`${client.url}/send`, JSON.stringify([16, 1, {}, 'lp.big', ['x'.repeat(5_000)]]));
    assert.equal(answer.status, 413);
    assert.equal(errorOf(answer).error, 'message_too_large');
    await leaving;
    assert.equal(metric('junction_longpoll_oversized_messages_total'), before + 1);
    assert.equal((await post(`${client.url}/receive`)).status, 404);
  });

  it('closes a transport no request touched for session_timeout', async () => {
    const idle = await session(`${http}/lp-short`);
    const before = metric('junction_longpoll_session_timeouts_total');
    await left(idle.id);
    assert.equal(metric('junction_longpoll_session_timeouts_total'), before + 1);
    assert.equal((await post(`${idle.url}/receive`)).status, 404);
  });

  it('keeps a transport that keeps polling past session_timeout', async () => {
    const busy = await session(`${http}/lp-short`);
    await subscribe(busy.url, 'lp.alive', busy.receive);
    // Polls that time out (100 ms each) for three session timeouts (300 ms each).
    for (let i = 0; i < 9; i++) assert.equal((await post(`${busy.url}/receive`)).status, 204);
    await publish('lp.alive', ['still here']);
    assert.deepEqual((await busy.receive())[0]![4], ['still here']);
    await post(`${busy.url}/close`);
  });
});

describe('long-poll transport: Crossbar\'s debug_transport_id', () => {
  it('gives every open the fixed id; a later open takes it over while the earlier session lives on until session_timeout', async () => {
    // Crossbar's longpoll_curl example: "make subscribe" and "make publish" both use the fixed id.
    const base = `${http}/lp-fixed`;
    const transportsOpen = (): number => Number(new RegExp(`junction_longpoll_transports\\{path="/lp-fixed"\\} (\\d+)`).exec(node.metrics.exposition())?.[1] ?? -1);
    const subscriber = await session(base);
    assert.equal(subscriber.url, `${base}/${fixedId}`);
    await subscribe(subscriber.url, 'lp.fixed', subscriber.receive);
    const held = post(`${subscriber.url}/receive`);
    const publisher = await session(base);
    assert.equal(publisher.url, subscriber.url);
    assert.notEqual(publisher.id, subscriber.id);
    assert.equal(transportsOpen(), 2);
    const subscriberLeft = left(subscriber.id);
    assert.equal((await post(`${publisher.url}/send`, JSON.stringify([16, 1, {}, 'lp.fixed', ['Hello, world!', 23, 666]]))).status, 204);
    const event = JSON.parse((await held).body.toString()) as unknown[];
    assert.deepEqual([event[0], event[4]], [36, ['Hello, world!', 23, 666]]);
    // close reaches the transport that holds the id now; the earlier one ends at its session_timeout.
    const publisherLeft = left(publisher.id);
    assert.equal((await post(`${publisher.url}/close`)).status, 204);
    await publisherLeft;
    assert.equal(transportsOpen(), 1);
    await subscriberLeft;
    assert.equal(transportsOpen(), 0);
    assert.equal((await post(`${subscriber.url}/receive`)).status, 404);
  });
});

describe('long-poll transport: bad requests', () => {
  it('answers 400 to an undecodable send and aborts the session with the reason', async () => {
    const client = await session();
    const answer = await post(`${client.url}/send`, '{not json');
    assert.equal(answer.status, 400);
    assert.match(errorOf(answer).message, /could not decode the body as wamp\.2\.json/);
    const [abort] = await client.receive();
    assert.deepEqual([abort![0], abort![2]], [3, 'wamp.error.protocol_violation']);
  });

  it('answers 400 to a malformed batch', async () => {
    const { transport } = await openTransport(`${http}/lp`, ['wamp.2.msgpack.batched']);
    const answer = await post(`${http}/lp/${transport}/send`, Buffer.from([0, 0, 0, 9, 0x91, 1]));
    assert.equal(answer.status, 400);
    assert.match(errorOf(answer).message, /announces 9 bytes, only 2 follow/);
  });

  it('answers 404 to an unknown transport id and to unknown operations', async () => {
    const unknown = await post(`${http}/lp/AAAAAAAAAAAAAAAAAAAAAA/receive`);
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown).error, 'no_such_transport');
    const { transport } = await openTransport(`${http}/lp`, ['wamp.2.json']);
    for (const path of [`/${transport}/peek`, `/${transport}`, `/${transport}/send/more`, '']) {
      const answer = await post(`${http}/lp${path}`);
      assert.equal(answer.status, 404, path);
      assert.equal(errorOf(answer).error, 'not_found');
    }
    await post(`${http}/lp/${transport}/close`);
  });

  it('answers 405 to other methods, naming the allowed ones', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await fetch(`${http}/lp/open`, { method });
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'POST, OPTIONS');
      assert.equal(((await response.json()) as { error: string }).error, 'method_not_allowed');
    }
  });
});

describe('long-poll transport: CORS', () => {
  it('answers a preflight with the origin, credentials, POST and the requested headers', async () => {
    const response = await fetch(`${http}/lp/open`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(response.headers.get('access-control-allow-methods'), 'POST, OPTIONS');
    assert.equal(response.headers.get('access-control-allow-headers'), 'content-type');
  });

  it('ignores requested header lists that are not header names', async () => {
    const response = await fetch(`${http}/lp/open`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-headers': 'content-type, <x y>' },
    });
    assert.equal(response.headers.get('access-control-allow-headers'), 'content-type');
  });

  it('echoes the origin with credentials on protocol answers, errors included', async () => {
    const headers = { origin: 'https://app.example' };
    const opened = await post(`${http}/lp/open`, JSON.stringify({ protocols: ['wamp.2.json'] }), { headers });
    assert.equal(opened.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(opened.headers.get('access-control-allow-credentials'), 'true');
    const missing = await post(`${http}/lp/nope/receive`, undefined, { headers });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), 'https://app.example');
    await post(`${http}/lp/${(JSON.parse(opened.body.toString()) as { transport: string }).transport}/close`);
  });
});

describe('long-poll transport: shutdown', () => {
  it('says GOODBYE through a held receive, then forgets every transport', async () => {
    const own = await startTestNode(config());
    const base = `http://127.0.0.1:${own.ports.get('test')}/lp`;
    const { transport } = await openTransport(base, ['wamp.2.json']);
    await post(`${base}/${transport}/send`, JSON.stringify([1, 'realm1', { roles: { subscriber: {} } }]));
    assert.equal(JSON.parse((await post(`${base}/${transport}/receive`)).body.toString())[0], 2);
    const held = post(`${base}/${transport}/receive`);
    const stopped = own.stop();
    const answer = await held;
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body.toString()), [6, { message: 'the router is shutting down' }, 'wamp.close.system_shutdown']);
    await stopped;
    assert.equal(own.router.sessionCount, 0);
    await assert.rejects(post(`${base}/${transport}/receive`));
  });
});
