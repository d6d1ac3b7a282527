/**
 * A wamp.subscription.get_events answer is one message, and a history may hold more than a
 * connection's slow-consumer limit (limit_bytes and max_buffered_bytes are both 4 MiB by
 * default): the answer is cut at MAX_ANSWER_BYTES and says so, and the asker stays connected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../../src/node/node.js';
import { MAX_ANSWER_BYTES } from '../../src/router/broker/event-history.js';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig } from '../support/node.js';

const EVENTS = 30;
const EVENT_CHARS = 100_000;

describe('a get_events answer larger than the connection may queue', { timeout: 60_000 }, () => {
  let node: RunningNode & { url: string };

  async function established(): Promise<RawClient> {
    const client = await RawClient.open(node.url);
    assert.equal((await client.hello())[0], 2);
    return client;
  }

  before(async () => {
    const config = testConfig({ maxMessageSize: 1_048_576, maxBufferedBytes: 2 * 1_048_576 });
    config.realms[0]!.store.eventHistory = [{ uri: 'hist', match: 'exact', limit: 1_000, limitBytes: 4 * 1_048_576 }];
    node = await startTestNode(config);
    const publisher = await established();
    for (let index = 0; index < EVENTS; index++) {
      publisher.send([16, 100 + index, { acknowledge: true }, 'hist', [index, 'x'.repeat(EVENT_CHARS)]]);
      assert.equal((await publisher.next((message) => message[1] === 100 + index, 10_000))[0], 17);
    }
    publisher.close();
  });

  after(() => node?.stop());

  it('answers the first events that fit, flagged truncated, and the asker can page on from there', async () => {
    const reader = await established();
    reader.send([32, 1, {}, 'hist']);
    const subscription = (await reader.next((message) => message[0] === 33))[2] as number;
    reader.send([48, 2, {}, 'wamp.subscription.get_events', [subscription]]);
    const first = await reader.next((message) => message[1] === 2, 10_000);
    assert.equal(first[0], 50, `RESULT, got ${String(first[0])} (${reader.closeCode ?? 'open'} ${reader.closeReason})`);
    const events = (first[3] as [{ publication: number; args: [number, string] }[]])[0];
    assert.deepEqual(first[4], { truncated: true });
    assert.ok(events.length > 0 && events.length < EVENTS);
    assert.ok(events.length * EVENT_CHARS <= MAX_ANSWER_BYTES);
    assert.deepEqual(events.map((event) => event.args[0]), [...Array(events.length).keys()], 'oldest first, none skipped');

    reader.send([48, 3, {}, 'wamp.subscription.get_events', [subscription], { after_publication: events.at(-1)!.publication }]);
    const rest = await reader.next((message) => message[1] === 3, 10_000);
    assert.equal((rest[3] as [{ args: [number] }[]])[0][0]!.args[0], events.length, 'the next page starts after the last one');
    assert.equal(reader.closeCode, undefined);
    reader.close();
  });
});
