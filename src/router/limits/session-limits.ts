/**
 * Per-session limits of a realm: how much one session may hold (subscriptions, registrations,
 * calls in flight) and how fast it may publish. They bound what one misbehaving client can make
 * the router keep. The router's own trusted sessions are exempt. 0 means no limit.
 */
export interface SessionLimits {
  maxSubscriptionsPerSession: number;
  maxRegistrationsPerSession: number;
  maxCallsInFlightPerSession: number;
  /** A token bucket per session: refills at perSecond up to burst. perSecond 0 = no rate limit. */
  publishRate: { perSecond: number; burst: number };
}

/** Applies when a realm's settings name no limits (the config loader's defaults are the same numbers). */
export const defaultSessionLimits: Readonly<SessionLimits> = {
  maxSubscriptionsPerSession: 10_000,
  maxRegistrationsPerSession: 1_000,
  maxCallsInFlightPerSession: 1_000,
  publishRate: { perSecond: 1_000, burst: 2_000 },
};

/** Whether a session that already has `count` of something may get one more under `max` (0 = no limit). */
export function underLimit(count: number, max: number): boolean {
  return max === 0 || count < max;
}

/** ERROR args[0] for a refusal: names the limit by its config key and value, and says what frees room. */
export function limitMessage(limit: 'max_subscriptions_per_session' | 'max_registrations_per_session' | 'max_calls_in_flight_per_session', max: number): string {
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
