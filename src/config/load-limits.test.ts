import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, problemsOf, realmWithRoles } from './test-support.js';

/** A document whose realm1 has these `options.limits`. */
function withLimits(limits: unknown): Record<string, unknown> {
  return configDocument({ realms: [realmWithRoles('realm1', ['anonymous'], { limits })] });
}

describe('realm options.limits', () => {
  it('absent: every limit gets its default', () => {
    const config = loadDocument(configDocument({}));
    assert.deepEqual(config.realms[0]!.options.limits, {
      maxSubscriptionsPerSession: 10000,
      maxRegistrationsPerSession: 1000,
      maxCallsInFlightPerSession: 1000,
      publishRate: { perSecond: 1000, burst: 2000 },
      maxQueuedMessagesPerSession: 1000,
      maxQueuedBytesPerSession: 4194304,
      maxHeldLiveBytesPerSession: 4194304,
      maxWaitingRetainedPerSession: 100000,
      maxRetainedEventBytes: 1048576,
      maxRetainedBytes: 67108864,
      maxRetainedTopics: 10000,
    });
  });

  it('maps the snake_case keys; keys not given keep their defaults; 0 means no limit', () => {
    const config = loadDocument(withLimits({
      max_subscriptions_per_session: 50,
      max_calls_in_flight_per_session: 0,
      publish_rate: { per_second: 10 },
      max_queued_messages_per_session: 20,
      max_queued_bytes_per_session: 0,
      max_held_live_bytes_per_session: 8192,
      max_waiting_retained_per_session: 30,
      max_retained_event_bytes: 100,
      max_retained_bytes: 1000,
      max_retained_topics: 0,
    }));
    assert.deepEqual(config.realms[0]!.options.limits, {
      maxSubscriptionsPerSession: 50,
      maxRegistrationsPerSession: 1000,
      maxCallsInFlightPerSession: 0,
      publishRate: { perSecond: 10, burst: 2000 },
      maxQueuedMessagesPerSession: 20,
      maxQueuedBytesPerSession: 0,
      maxHeldLiveBytesPerSession: 8192,
      maxWaitingRetainedPerSession: 30,
      maxRetainedEventBytes: 100,
      maxRetainedBytes: 1000,
      maxRetainedTopics: 0,
    });
  });

  it('publish_rate per_second 0 turns the rate limit off, whatever the burst', () => {
    const config = loadDocument(withLimits({ publish_rate: { per_second: 0, burst: 0 } }));
    assert.deepEqual(config.realms[0]!.options.limits.publishRate, { perSecond: 0, burst: 0 });
  });

  it('refuses negative or fractional numbers, a zero burst with a rate, and unknown keys', () => {
    assert.deepEqual(problemsOf(withLimits({ max_registrations_per_session: -1 })), [
      'workers[0].realms[0].options.limits.max_registrations_per_session: expected an integer >= 0',
    ]);
    assert.deepEqual(problemsOf(withLimits({ publish_rate: { per_second: 2.5 } })), [
      'workers[0].realms[0].options.limits.publish_rate.per_second: expected an integer >= 0',
    ]);
    assert.deepEqual(problemsOf(withLimits({ publish_rate: { per_second: 5, burst: 0 } })), [
      'workers[0].realms[0].options.limits.publish_rate.burst: burst 0 would refuse every publication; give at least 1, or set per_second to 0 for no rate limit',
    ]);
    assert.deepEqual(problemsOf(withLimits({ max_subscriptions: 5 })), [
      'workers[0].realms[0].options.limits.max_subscriptions: unknown key "max_subscriptions"',
    ]);
  });
});
