/**
 * SUBSCRIBE get_retained on a prefix covering many large retained events: the router sends them
 * as the client's connection takes them, so its own burst does not pass the slow-consumer limit
 * (max_buffered_bytes, 4 MiB by default) and close a client that reads; one that stops reading is
 * still closed by that limit once more is meant for it than it can hold.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../../src/node/node.js';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';

const RETAINED = 60;
const EVENT_CHARS = 500_000;
const SUBSCRIBE = 32;
const SUBSCRIBED = 33;
const EVENT = 36;

describe('retained events paced by the subscriber\'s connection', { timeout: 60_000 }, () => {
  let node: RunningNode & { url: string };
  const slowConsumers = (): number => Number(node.metrics.exposition().split('\n')
    .find((line) => line.startsWith('junction_ws_slow_consumer_closed_total '))?.split(' ').pop() ?? 0);

  async function established(): Promise<RawClient> {
    const client = await RawClient.open(node.url);
    assert.equal((await client.hello())[0], 2);
    return client;
  }

  async function publishRetained(publisher: RawClient, topic: string, index: number, request: number): Promise<void> {
    publisher.send([16, request, { retain: true, acknowledge: true }, topic, [index, 'x'.repeat(EVENT_CHARS)]]);
    const answer = await publisher.next((message) => message[1] === request, 10_000);
    assert.equal(answer[0], 17, `PUBLISHED for ${topic}, got ${JSON.stringify(answer).slice(0, 200)}`);
  }

  before(async () => {
    node = await startTestNode(testConfig({ maxMessageSize: 1_048_576, maxBufferedBytes: 4 * 1_048_576 }));
    const publisher = await established();
    for (let index = 0; index < RETAINED; index++) await publishRetained(publisher, `big.t${String(index).padStart(2, '0')}`, index, 100 + index);
    publisher.close();
  });

  after(() => node?.stop());

  it('delivers all 60 retained events of 500 KB, in order, to a client that reads, then the live ones', async () => {
    const before = slowConsumers();
    const client = await established();
    client.send([SUBSCRIBE, 1, { match: 'prefix', get_retained: true }, 'big.']);
    const publisher = await established();
    // A live event published while retained ones are still on their way comes after all of them.
    publisher.send([16, 2, { acknowledge: true }, 'big.t00', ['live']]);
    await waitFor(() => client.messages.filter((message) => message[0] === EVENT).length === RETAINED + 1 || client.closeCode !== undefined,
      'every retained event and the live one', 30_000);
    assert.equal(client.closeCode, undefined, `closed: ${client.closeCode} ${client.closeReason}`);
    const events = client.messages.filter((message) => message[0] === EVENT);
    const retained = events.slice(0, RETAINED);
    assert.deepEqual(retained.map((event) => (event[4] as number[])[0]), [...Array(RETAINED).keys()]);
    assert.ok(retained.every((event) => (event[3] as { retained?: boolean }).retained === true));
    assert.deepEqual(events[RETAINED]![4], ['live']);
    assert.equal(client.messages[0]![0], SUBSCRIBED, 'SUBSCRIBED first');
    assert.equal(slowConsumers(), before);
    client.close();
    publisher.close();
  });

  it('still closes a client that stops reading once more is meant for it than it can hold', async () => {
    const before = slowConsumers();
    const client = await established();
    const socket = (client.ws as unknown as { _socket: { pause(): void } })._socket;
    client.send([SUBSCRIBE, 1, { match: 'prefix', get_retained: true }, 'big.']);
    await client.next((message) => message[0] === SUBSCRIBED);
    socket.pause();
    const publisher = await established();
    // Live events of the subscription wait behind its retained ones; past what the router holds
    // for it, everything goes to the connection, whose slow-consumer limit then closes it.
    for (let index = 0; index < 20 && client.closeCode === undefined && slowConsumers() === before; index++) {
      publisher.send([16, 1000 + index, { acknowledge: true }, 'big.t01', [index, 'y'.repeat(EVENT_CHARS)]]);
      await publisher.next((message) => message[1] === 1000 + index, 10_000);
    }
    await waitFor(() => slowConsumers() === before + 1, 'the slow-consumer close', 10_000);
    await waitFor(() => node.router.realm('realm1')!.sessions.size === 1, 'the closed session gone (only the publisher left)', 10_000);
    assert.equal(node.router.realm('realm1')!.broker.retainedReplaysPending, 0, 'nothing held for it any more');
    publisher.close();
  });
});
