/**
 * Per-session limits of a realm: how much one session may hold (subscriptions, registrations,
 * calls in flight, received messages waiting their turn) and how fast it may publish. They bound
 * what one misbehaving client can make the router keep. The router's own trusted sessions are
 * exempt. 0 means no limit. The defaults live in the config schema (realm `options.limits`).
 */
export interface SessionLimits {
  maxSubscriptionsPerSession: number;
  maxRegistrationsPerSession: number;
  maxCallsInFlightPerSession: number;
  /** A token bucket per session: refills at perSecond up to burst. perSecond 0 = no rate limit. */
  publishRate: { perSecond: number; burst: number };
  /** Received messages waiting behind an unfinished step (authentication, a dynamic authorizer). */
  maxQueuedMessagesPerSession: number;
  /** Their bytes, as received (frame lengths). */
  maxQueuedBytesPerSession: number;
  /** Live events held behind a session's retained events while they are paced (RetainedReplays), bytes as estimated by payloadBytes. */
  maxHeldLiveBytesPerSession: number;
  /** Retained events waiting for a session while they are paced (RetainedReplays, all its subscriptions'). */
  maxWaitingRetainedPerSession: number;
}

/** What the realm keeps of retained events (PUBLISH retain), for every session together. */
export interface RetentionLimits {
  /** A larger publication with retain is refused whole. Bytes as estimated by payloadBytes. */
  maxRetainedEventBytes: number;
  maxRetainedBytes: number;
  maxRetainedTopics: number;
}

export type RealmLimits = SessionLimits & RetentionLimits;

/** The tighter of two limits where 0 means no limit. */
export function tighter(a: number, b: number): number {
  if (a === 0) return b;
  return b === 0 ? a : Math.min(a, b);
}

/** Whether a session that already has `count` of something may get one more under `max` (0 = no limit). */
export function underLimit(count: number, max: number): boolean {
  return max === 0 || count < max;
}

/** The per-session limits a SUBSCRIBE, REGISTER or CALL can be refused over, by their config keys. */
export type PerSessionLimit = 'max_subscriptions_per_session' | 'max_registrations_per_session' | 'max_calls_in_flight_per_session';

/** ERROR args[0] for a refusal: names the limit by its config key and value, and says what frees room. */
export function limitMessage(limit: PerSessionLimit, max: number): string {
  switch (limit) {
    case 'max_subscriptions_per_session':
      return `limit exceeded: max_subscriptions_per_session is ${max} and this session holds that many subscriptions; unsubscribe first`;
    case 'max_registrations_per_session':
      return `limit exceeded: max_registrations_per_session is ${max} and this session holds that many registrations; unregister first`;
    case 'max_calls_in_flight_per_session':
      return `limit exceeded: max_calls_in_flight_per_session is ${max} and this session has that many calls waiting for a result`;
  }
}

export function publishRateMessage(perSecond: number, burst: number): string {
  return `limit exceeded: publish_rate allows this session ${perSecond} publications per second (burst ${burst})`;
}

/** ABORT message for a session whose queue passed a limit on a transport that cannot stop reading. */
export function queueOverflowMessage(limits: SessionLimits, queued: { messages: number; bytes: number }): string {
  return `limit exceeded: ${queued.messages} messages (${queued.bytes} bytes) arrived while an earlier one was still being handled; ` +
    `max_queued_messages_per_session is ${limits.maxQueuedMessagesPerSession} and max_queued_bytes_per_session is ` +
    `${limits.maxQueuedBytesPerSession}, and this transport cannot pause reading`;
}

/** ERROR args[0] to an acknowledged publisher whose retained publication was refused whole (see Broker.publish). */
export function retentionRefusalMessage(limit: `max_retained_${'event_bytes' | 'bytes' | 'topics'}`, max: number): string {
  const why = {
    max_retained_event_bytes: `max_retained_event_bytes is ${max} and this event is larger`,
    max_retained_bytes: `max_retained_bytes is ${max} and the realm's retained events would pass it`,
    max_retained_topics: `max_retained_topics is ${max} and that many topics already have a retained event`,
  }[limit];
  return `limit exceeded: ${why}; the publication was neither delivered nor retained`;
}
