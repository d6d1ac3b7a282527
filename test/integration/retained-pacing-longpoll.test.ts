/**
 * SUBSCRIBE get_retained over long-poll on a prefix covering more retained bytes than the
 * transport's queue limit (queue_limit_bytes, 128 KiB by default): the router queues them as the
 * client's receives take them, so a client that polls gets every one, in order, then a live one,
 * and is not closed; one that never polls is still closed by the queue limit once more is meant
 * for it than it can hold, and nothing is held for it afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsonCodec } from '../../src/codec/index.js';
import type { RunningNode } from '../../src/node/node.js';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig, testLongPoll } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { decodeBody, encodeBody, openTransport, post } from '../transport/behaviour/drivers/longpoll.js';

const RETAINED = 40;
const EVENT_CHARS = 20_000;
const SUBSCRIBE = 32;
const SUBSCRIBED = 33;
const EVENT = 36;

/** A long-poll client in the JSON protocol, unbatched (one message per receive) or batched. */
class PollingClient {
  readonly messages: unknown[][] = [];
  /** The 410 text once the transport is closed. */
  closed: string | undefined;
  /** The session ID from WELCOME. */
  session = 0;

  private constructor(private readonly url: string, private readonly batched: boolean) {}

  static async open(base: string, batched: boolean): Promise<PollingClient> {
    const { transport } = await openTransport(base, [batched ? 'wamp.2.json.batched' : 'wamp.2.json']);
    const client = new PollingClient(`${base}/${transport}`, batched);
    await client.send([1, 'realm1', { roles: { subscriber: {} } }]);
    await client.poll();
    assert.equal(client.messages[0]![0], 2, `WELCOME expected, got ${JSON.stringify(client.messages[0])}`);
    client.session = client.messages[0]![1] as number;
    client.messages.length = 0;
    return client;
  }

  async send(message: unknown[]): Promise<void> {
    const answer = await post(`${this.url}/send`, encodeBody(jsonCodec, this.batched, [message]));
    assert.equal(answer.status, 204, `send answered ${answer.status}: ${answer.body.toString()}`);
  }

  async close(): Promise<void> {
    await post(`${this.url}/close`);
  }

  /** One receive: what it answers is added to `messages`. */
  async poll(): Promise<void> {
    const answer = await post(`${this.url}/receive`);
    if (answer.status === 200) this.messages.push(...decodeBody(jsonCodec, this.batched, answer.body));
    else if (answer.status === 410) this.closed = answer.body.toString();
    else assert.equal(answer.status, 204, `receive answered ${answer.status}: ${answer.body.toString()}`);
  }

  events(): unknown[][] {
    return this.messages.filter((message) => message[0] === EVENT);
  }
}

describe('retained events paced by a long-poll subscriber\'s receives', { timeout: 60_000 }, () => {
  let node: RunningNode & { url: string };
  let base: string;
  const slowConsumers = (): number => Number(node.metrics.exposition().split('\n')
    .find((line) => line.startsWith('junction_longpoll_slow_consumer_closed_total '))?.split(' ').pop() ?? 0);

  async function publisher(): Promise<RawClient> {
    const client = await RawClient.open(node.url);
    assert.equal((await client.hello())[0], 2);
    return client;
  }

  async function publish(client: RawClient, request: number, options: object, topic: string, args: unknown[]): Promise<void> {
    client.send([16, request, { acknowledge: true, ...options }, topic, args]);
    const answer = await client.next((message) => message[1] === request, 10_000);
    assert.equal(answer[0], 17, `PUBLISHED for ${topic}, got ${JSON.stringify(answer).slice(0, 200)}`);
  }

  before(async () => {
    const config = testConfig({ maxMessageSize: 1_048_576 });
    // The long-poll defaults: 128 KiB and 100 messages between two receives.
    config.listeners[0]!.paths['/lp'] = testLongPoll({ requestTimeoutMs: 1_000 });
    node = await startTestNode(config);
    base = `http://127.0.0.1:${node.ports.get('test')}/lp`;
    const client = await publisher();
    for (let index = 0; index < RETAINED; index++) {
      await publish(client, 100 + index, { retain: true }, `big.t${String(index).padStart(2, '0')}`, [index, 'x'.repeat(EVENT_CHARS)]);
    }
    client.close();
  });

  after(() => node?.stop());

  for (const batched of [false, true]) {
    it(`delivers all ${RETAINED} retained events of ${EVENT_CHARS / 1000} KB, in order, to a client that polls${batched ? ' (batched)' : ''}, then a live one`, async () => {
      const before = slowConsumers();
      const client = await PollingClient.open(base, batched);
      await client.send([SUBSCRIBE, 1, { match: 'prefix', get_retained: true }, 'big.']);
      await client.poll();
      const live = await publisher();
      // Published while retained events still wait for receives: it comes after all of them.
      await publish(live, 2, {}, 'big.t00', ['live']);
      // Bounded: each receive takes at least one message; a few spare ones for empty answers.
      for (let polls = 0; polls < 3 * RETAINED && client.events().length < RETAINED + 1 && client.closed === undefined; polls++) await client.poll();
      assert.equal(client.closed, undefined, `closed: ${client.closed}`);
      assert.equal(client.messages[0]![0], SUBSCRIBED, 'SUBSCRIBED first');
      const events = client.events();
      const retained = events.slice(0, RETAINED);
      assert.deepEqual(retained.map((event) => (event[4] as number[])[0]), [...Array(RETAINED).keys()]);
      assert.ok(retained.every((event) => (event[3] as { retained?: boolean }).retained === true));
      assert.deepEqual(events[RETAINED]?.[4], ['live']);
      assert.equal(slowConsumers(), before);
      await client.close();
      live.close();
    });
  }

  it('still closes a client that never polls once more is meant for it than its queue holds', async () => {
    const before = slowConsumers();
    const client = await PollingClient.open(base, false);
    await client.send([SUBSCRIBE, 1, { match: 'prefix', get_retained: true }, 'big.']);
    await waitFor(() => node.router.realm('realm1')!.broker.retainedReplaysPending === 1, 'the replay waiting for a receive', 10_000);
    const live = await publisher();
    // Live events of the subscription wait behind its retained ones; past what the router holds
    // for it, everything goes to the transport, whose queue limit then closes it.
    for (let index = 0; index < 20 && slowConsumers() === before; index++) {
      await publish(live, 1000 + index, {}, 'big.t01', [index, 'y'.repeat(500_000)]);
    }
    await waitFor(() => slowConsumers() === before + 1, 'the slow-consumer close', 10_000);
    await waitFor(() => !node.router.realm('realm1')!.sessions.has(client.session), 'the closed session gone', 10_000);
    assert.equal(node.router.realm('realm1')!.broker.retainedReplaysPending, 0, 'nothing held for it any more');
    await client.poll();
    assert.match(client.closed ?? '', /slow consumer/);
    await client.close();
    live.close();
  });
});
