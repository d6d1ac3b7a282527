/**
 * Deeply nested payloads (issue 11, item 1). A 3 KB message nested 1,500 levels deep used to be
 * decoded, then overflow the stack when the router re-encoded it for a subscriber or callee, and
 * the process exited. Now every door refuses messages deeper than max_nesting_depth right after
 * decoding them (ABORT for a WAMP session, 400 for the HTTP bridge), and a payload that still
 * cannot be encoded (built in-process, past the limit) fails only that message for that session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CodecName } from '../../src/codec/index.js';
import { DEFAULT_MAX_NESTING_DEPTH, nestsDeeperThan } from '../../src/codec/nesting.js';
import type { JunctionConfig } from '../../src/config/model.js';
import type { RunningNode } from '../../src/node/node.js';
import { InternalSession } from '../../src/router/internal-session.js';
import { encodeBody, openTransport, post } from '../transport/behaviour/drivers/longpoll.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';
import { openStream } from '../transport/sse-reader.js';
import { addRawSocketListener } from '../transport/rawsocket-support.js';
import { startTestNode, testConfig, testLongPoll } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';

const TOPIC = 'hostile.nesting';
const codecs: CodecName[] = ['json', 'msgpack', 'cbor'];
const LIMIT = DEFAULT_MAX_NESTING_DEPTH;

/**
 * PUBLISH [16, 1, {acknowledge: true}, TOPIC, [[[...1...]]]] nesting `depth` levels in all (the
 * message is level 1, its args list level 2), written octet by octet: no encoder recursion, so
 * any depth can be sent.
 */
function deepPublish(codec: CodecName, depth: number): string | Buffer {
  const lists = depth - 1;
  switch (codec) {
    case 'json':
      return `[16,1,{"acknowledge":true},"${TOPIC}",${'['.repeat(lists)}1${']'.repeat(lists)}]`;
    case 'msgpack':
      return Buffer.concat([Buffer.from([0x95, 0x10, 0x01, 0x81, 0xab]), Buffer.from('acknowledge'), Buffer.from([0xc3, 0xaf]),
        Buffer.from(TOPIC), Buffer.alloc(lists, 0x91), Buffer.from([0x01])]);
    case 'cbor':
      return Buffer.concat([Buffer.from([0x85, 0x10, 0x01, 0xa1, 0x6b]), Buffer.from('acknowledge'), Buffer.from([0xf5, 0x6f]),
        Buffer.from(TOPIC), Buffer.alloc(lists, 0x81), Buffer.from([0x01])]);
  }
}

/** `levels` lists around 1: built in-process, as no client could send it. */
function nestedLists(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

const isAbort = (message: unknown[]): boolean => message[0] === 3;

function assertTooDeepAbort(message: unknown[]): void {
  assert.equal(message[0], 3, `expected ABORT, got ${JSON.stringify(message)}`);
  assert.equal(message[2], 'wamp.error.protocol_violation');
  assert.match((message[1] as { message: string }).message, new RegExp(`more than ${LIMIT} levels deep \\(the router's max_nesting_depth\\)`));
}

function config(): JunctionConfig {
  const config = testConfig();
  const paths = config.listeners[0]!.paths;
  const bridge = { realm: 'realm1', role: 'anonymous', options: { postBodyLimit: 1_048_576, requireIp: [], requireTls: false } };
  paths['/publish'] = { type: 'publisher', ...bridge };
  paths['/call'] = { type: 'caller', ...bridge, maxTimeoutMs: 5_000 };
  paths['/lp'] = testLongPoll();
  paths['/sse'] = {
    type: 'sse', realm: 'realm1', auth: { anonymous: { type: 'static', role: 'anonymous' } },
    cookieName: 'junction_ticket', heartbeatMs: 15_000, maxTopics: 8, maxBufferedBytes: 1_048_576, maxStreams: 100, maxPerAddress: 100, resumeWaitMs: 1000,
  };
  addRawSocketListener(config, 'raw');
  return config;
}

describe('deeply nested payloads', { timeout: 60_000 }, () => {
  let node: RunningNode & { url: string };
  let http: string;
  const subscribers: RawClient[] = [];

  /** Every subscriber receives the next event on TOPIC whose first argument is `marker`. */
  async function everySubscriberGets(marker: string): Promise<void> {
    await Promise.all(subscribers.map((subscriber) => subscriber.next((m) => m[0] === 36 && (m[4] as unknown[])[0] === marker)));
  }

  /** No subscriber holds an EVENT; proven by an event published after the one that must not arrive. */
  async function noSubscriberGotAnythingBefore(marker: string, publisher: InternalSession): Promise<void> {
    await publisher.publishAcknowledged(TOPIC, [marker]);
    for (const subscriber of subscribers) {
      const event = await subscriber.next((m) => m[0] === 36);
      assert.equal((event[4] as unknown[])[0], marker, `${subscriber.codec.name} subscriber got an earlier event: ${JSON.stringify(event).slice(0, 200)}`);
    }
  }

  let publisher: InternalSession;

  before(async () => {
    node = await startTestNode(config());
    http = node.url.replace('ws://', 'http://').replace(/\/ws$/, '');
    for (const codec of codecs) {
      const subscriber = await RawClient.open(node.url, [`wamp.2.${codec}`]);
      await subscriber.hello();
      subscriber.send([32, 1, {}, TOPIC]);
      await subscriber.next((m) => m[0] === 33);
      subscribers.push(subscriber);
    }
    publisher = await InternalSession.join(node.router.attach.bind(node.router), 'realm1', { authid: 'test', authrole: 'trusted' });
  });

  after(async () => {
    for (const subscriber of subscribers) subscriber.close();
    await node.stop();
  });

  for (const codec of codecs) {
    it(`WebSocket ${codec}: the issue's 3 KB message (1,500 levels) is refused with ABORT naming the limit; nobody else notices`, async () => {
      const frame = deepPublish(codec, 1_500);
      assert.ok(frame.length < 3_200);
      const attacker = await RawClient.open(node.url, [`wamp.2.${codec}`]);
      await attacker.hello();
      attacker.ws.send(frame);
      assertTooDeepAbort(await attacker.next(isAbort));
      await attacker.closed;
      await noSubscriberGotAnythingBefore(`after ${codec} 1500`, publisher);
    });

    it(`WebSocket ${codec}: a frame too deep for the decoder itself (500,000 levels) gets the same refusal`, async () => {
      const attacker = await RawClient.open(node.url, [`wamp.2.${codec}`]);
      await attacker.hello();
      attacker.ws.send(deepPublish(codec, 500_000));
      assertTooDeepAbort(await attacker.next(isAbort));
      await noSubscriberGotAnythingBefore(`after ${codec} 500000`, publisher);
    });

    it(`WebSocket ${codec}: exactly ${LIMIT} levels is accepted and delivered to every codec`, async () => {
      const client = await RawClient.open(node.url, [`wamp.2.${codec}`]);
      await client.hello();
      client.ws.send(deepPublish(codec, LIMIT));
      const published = await client.next();
      assert.equal(published[0], 17, `expected PUBLISHED, got ${JSON.stringify(published).slice(0, 200)}`);
      for (const subscriber of subscribers) {
        const event = await subscriber.next((m) => m[0] === 36);
        assert.equal(nestsDeeperThan(event, LIMIT), false);
        assert.equal(nestsDeeperThan(event, LIMIT - 1), true, `${subscriber.codec.name} got the payload cut short`);
      }
      client.close();
    });
  }

  for (const codec of codecs) {
    it(`RawSocket ${codec}: the deep message is refused with ABORT`, async () => {
      const attacker = await RawSocketClient.open({ port: node.ports.get('raw')! }, { serializer: codec });
      attacker.send([1, 'realm1', { roles: { publisher: {} } }]);
      await attacker.next((m) => m[0] === 2);
      const frame = deepPublish(codec, 1_500);
      attacker.sendFrame(0, typeof frame === 'string' ? Buffer.from(frame) : frame);
      assertTooDeepAbort(await attacker.next(isAbort));
      await noSubscriberGotAnythingBefore(`after rawsocket ${codec}`, publisher);
    });
  }

  for (const codec of codecs) {
    it(`long-poll ${codec}: a deep send body is answered 400 naming the limit and its session aborted`, async () => {
      const { transport } = await openTransport(`${http}/lp`, [`wamp.2.${codec}`]);
      const url = `${http}/lp/${transport}`;
      const hello = await post(`${url}/send`, encodeBody(
        (await import('../../src/codec/index.js')).codecByName(codec), false, [[1, 'realm1', { roles: { publisher: {} } }]]));
      assert.equal(hello.status, 204);
      const answer = await post(`${url}/send`, deepPublish(codec, 1_500));
      assert.equal(answer.status, 400);
      assert.match(answer.body.toString(), /max_nesting_depth/);
      await noSubscriberGotAnythingBefore(`after long-poll ${codec}`, publisher);
    });
  }

  for (const [path, field] of [['/publish', 'topic'], ['/call', 'procedure']] as const) {
    it(`HTTP ${path}: a deep body is refused with 400 too_deep before anything is published or called`, async () => {
      const body = `{"${field}":"${TOPIC}","args":${'['.repeat(1_500)}1${']'.repeat(1_500)}}`;
      const response = await fetch(`${http}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(response.status, 400);
      const answer = await response.json() as { error: string; message: string };
      assert.equal(answer.error, 'too_deep');
      assert.match(answer.message, /max_nesting_depth/);
      await noSubscriberGotAnythingBefore(`after HTTP ${path}`, publisher);
    });
  }

  it('HTTP /publish: a body at the limit is published', async () => {
    // {"args": [[...]]}: the body is level 1, args level 2.
    const body = `{"topic":"${TOPIC}","args":["at the limit",${'['.repeat(LIMIT - 2)}1${']'.repeat(LIMIT - 2)}]}`;
    const response = await fetch(`${http}/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(response.status, 200, await response.text());
    await everySubscriberGets('at the limit');
  });

  describe('a payload built in-process, past any decoder limit', () => {
    const tooDeep = (): unknown => nestedLists(20_000);
    const unencodable = (type: string, serializer: string): number =>
      node.metrics.counter('junction_messages_unencodable_total', '').value({ type, serializer });

    it('an EVENT that no codec can encode reaches nobody (SSE streams included), is counted, and every subscriber keeps its session', async () => {
      const stream = await openStream(`${http}/sse?topic=${TOPIC}`);
      await publisher.publishAcknowledged(TOPIC, ['deep', tooDeep()]);
      await noSubscriberGotAnythingBefore('after the deep event', publisher);
      for (const codec of codecs) assert.ok(unencodable('EVENT', codec) >= 1, `no EVENT counted for ${codec}`);
      const [event] = await stream.waitForMessages(1);
      assert.deepEqual(JSON.parse(event!.data), { args: ['after the deep event'], kwargs: {} });
      stream.response.destroy();
    });

    for (const codec of codecs) {
      it(`an INVOCATION a ${codec} callee cannot be sent ends the call with ERROR; the callee keeps serving`, async () => {
        const callee = await RawClient.open(node.url, [`wamp.2.${codec}`]);
        await callee.hello();
        callee.send([64, 1, {}, `hostile.echo.${codec}`]);
        await callee.next((m) => m[0] === 65);
        await assert.rejects(publisher.call(`hostile.echo.${codec}`, [tooDeep()]), (error: Error & { uri?: string; args?: unknown[] }) => {
          assert.equal(error.uri, 'junction.error.unencodable_payload');
          assert.match(String(error.args?.[0]), new RegExp(`INVOCATION cannot be encoded as ${codec}: the payload nests too deeply to encode`));
          return true;
        });
        const answered = publisher.call(`hostile.echo.${codec}`, ['fine']);
        const invocation = await callee.next((m) => m[0] === 68);
        callee.send([70, invocation[1], {}, ['fine too']]);
        assert.deepEqual((await answered).args, ['fine too']);
        callee.close();
      });

      it(`a RESULT a ${codec} caller cannot be sent becomes ERROR unencodable_payload; the caller keeps its session`, async () => {
        const procedure = `hostile.deep_result.${codec}`;
        await publisher.register(procedure, (args) => (args[0] === 'deep' ? tooDeep() : 'shallow'));
        const caller = await RawClient.open(node.url, [`wamp.2.${codec}`]);
        await caller.hello();
        caller.send([48, 7, {}, procedure, ['deep']]);
        const error = await caller.next((m) => m[1] === 48 || m[0] === 50);
        assert.deepEqual(error.slice(0, 5), [8, 48, 7, {}, 'junction.error.unencodable_payload']);
        assert.match(String((error[5] as unknown[])[0]), /RESULT cannot be encoded/);
        caller.send([48, 8, {}, procedure, ['shallow']]);
        assert.deepEqual(await caller.next((m) => m[0] === 50), [50, 8, {}, ['shallow']]);
        caller.close();
      });
    }

    it('HTTP /call: a result too deep to write as JSON is answered 500, and the bridge keeps serving', async () => {
      await publisher.register('hostile.deep_for_http', (args) => (args[0] === 'deep' ? tooDeep() : 'shallow'));
      const call = (arg: string): Promise<Response> => fetch(`${http}/call`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ procedure: 'hostile.deep_for_http', args: [arg] }),
      });
      assert.equal((await call('deep')).status, 500);
      const fine = await call('shallow');
      assert.equal(fine.status, 200);
      assert.deepEqual(await fine.json(), { args: ['shallow'] });
    });
  });
});
