import type { ReconnectOptions } from './types.js';

export type ReconnectPolicy = Required<ReconnectOptions>;

export const defaultReconnect: ReconnectPolicy = {
  initialDelay: 500,
  maxDelay: 30_000,
  growth: 1.5,
  maxRetries: Infinity,
  jitter: 0.1,
};

/** `false` turns reconnection off; `true` or a partial object fills in the defaults. */
export function reconnectPolicy(option: ReconnectOptions | boolean | undefined): ReconnectPolicy | undefined {
  if (option === false) return undefined;
  const policy = { ...defaultReconnect, ...(option === true || option === undefined ? {} : option) };
  const { initialDelay, maxDelay, growth, maxRetries, jitter } = policy;
  if (!(initialDelay >= 0 && maxDelay >= initialDelay && growth >= 1 && maxRetries >= 0 && jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`reconnect: want 0 <= initialDelay <= maxDelay, growth >= 1, maxRetries >= 0, 0 <= jitter <= 1; got ${JSON.stringify(policy)}`);
  }
  return policy;
}

/**
 * Delay before retry number `attempt` (1-based): initialDelay * growth^(attempt-1), spread by
 * ±jitter, never above maxDelay. `random` returns a number in [0, 1).
 *
 * The backoff of one thing that tries again by itself: a client's reconnect, a router link's, a
 * Python web host's restart. The HTTP forwarder keeps its own (bridge/forwarder/backoff.ts), a
 * different rule rather than the same one: full jitter between a floor and the curve, because its
 * many queues fail together (their app went down) and a spread of ±jitter around one curve would
 * still bring them back almost at once.
 */
export function retryDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * policy.growth ** (attempt - 1));
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(policy.maxDelay, base * spread));
}
