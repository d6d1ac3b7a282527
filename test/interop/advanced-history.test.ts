import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { crossbarAnonymousEverything, startTestNode } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';

/**
 * Event history and the meta API switch end to end: a Crossbar-format config read by the config
 * loader, a node started from it, and AutobahnJS clients over WebSocket.
 */

const config = parseConfig({
  version: 2,
  workers: [{
    type: 'router',
    realms: [
      {
        name: 'realm1',
        roles: [crossbarAnonymousEverything],
        store: {
          type: 'memory',
          limit: 3,
          'event-history': [{ uri: 'hist.log', match: 'prefix' }, { uri: 'hist.alarm', limit: 2 }],
        },
      },
      { name: 'quiet', roles: [crossbarAnonymousEverything], options: { enable_meta_api: false } },
    ],
    transports: [{ type: 'websocket', id: 'history', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' } }],
  }],
}, { source: 'advanced-history.test' });

const node = await startTestNode(config);
const url = `ws://127.0.0.1:${node.ports.get('history')}/`;
after(() => node.stop());

interface StoredEvent {
  timestamp: string;
  subscription: number;
  publication: number;
  details: { topic: string };
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

/**
 * Calls wamp.subscription.get_events. As with Crossbar, RESULT.Arguments is one list of events,
 * which AutobahnJS hands back as the call's value.
 */
// AutobahnJS's session object (untyped library).
async function getEvents(session: any, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<StoredEvent[]> {
  const result: unknown = await session.call('wamp.subscription.get_events', args, kwargs);
  assert.ok(Array.isArray(result), `get_events answers one list, got ${JSON.stringify(result)}`);
  return result as StoredEvent[];
}

/** The error URI a call fails with. */
async function failure(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return (error as { error: string }).error;
  }
  assert.fail('the call should have failed');
}

describe('AutobahnJS - event history from the realm store config', () => {
  let publisher: OpenSession;
  let reader: OpenSession;
  before(async () => {
    publisher = await openAutobahn(url);
    reader = await openAutobahn(url);
  });
  after(async () => {
    await publisher.close();
    await reader.close();
  });

  it('keeps the last events of a prefix topic up to the store limit, and get_events honours its own limit', async () => {
    const publications: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const published = await publisher.session.publish(`hist.log.${i}`, [i], { n: i }, { acknowledge: true });
      publications.push(published.id);
    }
    await publisher.session.publish('other.log', ['not kept'], {}, { acknowledge: true });
    const subscription = await reader.session.call('wamp.subscription.lookup', ['hist.log', { match: 'prefix' }]);
    assert.ok(Number.isInteger(subscription), 'the history subscription exists before anyone subscribes');

    const stored = await getEvents(reader.session, [subscription]);
    assert.deepEqual(stored.map((e) => [e.details.topic, e.args, e.kwargs, e.publication]), [3, 4, 5].map((i) =>
      [`hist.log.${i}`, [i], { n: i }, publications[i - 1]]), 'the store limit (3) keeps the newest three, oldest first');
    for (const event of stored) {
      assert.equal(event.subscription, subscription);
      assert.ok(!Number.isNaN(Date.parse(event.timestamp)), `timestamp ${event.timestamp}`);
    }
    assert.deepEqual((await getEvents(reader.session, [subscription, 2])).map((e) => e.args), [[5], [4]],
      "Crossbar's call form [subscription, limit]: the last events, newest first");
    assert.deepEqual((await getEvents(reader.session, [subscription], { limit: 2 })).map((e) => e.args), [[3], [4]]);
    assert.deepEqual((await getEvents(reader.session, [subscription], { limit: 1, reverse: true })).map((e) => e.args), [[5]]);
    assert.deepEqual((await getEvents(reader.session, [subscription], { topic: 'hist.log.4' })).map((e) => e.args), [[4]]);

    const subscribed = await reader.session.subscribe('hist.log', () => {}, { match: 'prefix' });
    assert.equal(subscribed.id, subscription, 'a subscriber joins the history subscription');
    await reader.session.unsubscribe(subscribed);
  });

  it('uses the per-topic limit of an exact entry', async () => {
    for (const level of ['low', 'mid', 'high']) await publisher.session.publish('hist.alarm', [level], {}, { acknowledge: true });
    const subscription = await reader.session.call('wamp.subscription.lookup', ['hist.alarm']);
    assert.deepEqual((await getEvents(reader.session, [subscription])).map((e) => e.args), [['mid'], ['high']]);
  });

  it('refuses history for a subscription the store does not cover', async () => {
    const plain = await reader.session.subscribe('hist.elsewhere', () => {});
    assert.equal(await failure(reader.session.call('wamp.subscription.get_events', [plain.id])), 'wamp.error.history_unavailable');
    await reader.session.unsubscribe(plain);
  });
});

describe('a realm configured with enable_meta_api: false', () => {
  it('does not serve wamp.session.count', async () => {
    const client = await openAutobahn(url, 'json', { realm: 'quiet' });
    assert.equal(await failure(client.session.call('wamp.session.count')), 'wamp.error.no_such_procedure');
    await client.close();
  });

  it('announces no meta API features in WELCOME, while realm1 does', async () => {
    const features = async (realm: string): Promise<Record<string, boolean>> => {
      const raw = await RawClient.open(url);
      const welcome = await raw.hello(realm);
      raw.close();
      return (welcome[2] as { roles: { broker: { features: Record<string, boolean> } } }).roles.broker.features;
    };
    const quiet = await features('quiet');
    assert.equal(quiet.session_meta_api, undefined);
    assert.equal(quiet.subscription_meta_api, undefined);
    assert.equal((await features('realm1')).session_meta_api, true);
  });
});
