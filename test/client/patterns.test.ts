/**
 * The client's subscribe/register options against a real router: a prefix subscription gets
 * events for every topic under the prefix (with the concrete topic in details), and a shared
 * registration with invoke 'roundrobin' takes turns between its callees.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, WampError, type Session } from '../../src/client/index.js';
import { startTestNode } from '../support/node.js';

describe('client pattern subscriptions and shared registrations against the router', { timeout: 20_000 }, () => {
  const node = startTestNode();
  let publisher: Session;
  let first: Session;
  let second: Session;

  before(async () => {
    const { url } = await node;
    [publisher, first, second] = await Promise.all([0, 1, 2].map(() => connect({ url, realm: 'realm1', reconnect: false })));
  });

  after(async () => {
    for (const session of [publisher, first, second]) await session?.leave();
    await (await node).stop();
  });

  it("a subscription with match 'prefix' receives every topic under the prefix, and only those", async () => {
    const subscription = await first.subscribe('patterns.news.', undefined, { match: 'prefix' });
    // Acknowledged publishes: the router has handled each before the next, so events arrive in this order.
    for (const topic of ['patterns.news.sports', 'patterns.weather', 'patterns.news.tech.ai']) {
      await publisher.publish(topic, [topic], undefined, { acknowledge: true });
    }
    const seen: unknown[] = [];
    for await (const event of subscription) {
      seen.push([event.details.topic, event.args[0]]);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, [
      ['patterns.news.sports', 'patterns.news.sports'],
      ['patterns.news.tech.ai', 'patterns.news.tech.ai'],
    ]);
  });

  it("a registration with invoke 'roundrobin' shared by two callees alternates between them", async () => {
    await first.register('patterns.who', () => 'first', { invoke: 'roundrobin' });
    await second.register('patterns.who', () => 'second', { invoke: 'roundrobin' });
    const answers: unknown[] = [];
    for (let i = 0; i < 4; i++) answers.push((await publisher.call('patterns.who')).args[0]);
    assert.deepEqual(answers, ['first', 'second', 'first', 'second']);
  });

  it('a callee joining the shared registration with another invoke policy is refused', async () => {
    await assert.rejects(
      publisher.register('patterns.who', () => 'third', { invoke: 'single' }),
      (error: unknown) => error instanceof WampError && error.uri === 'wamp.error.procedure_exists_with_different_invocation_policy',
    );
  });
});
