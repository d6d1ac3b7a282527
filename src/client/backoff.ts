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
  const problem =
    !(policy.initialDelay >= 0) ? 'initialDelay must be >= 0'
    : !(policy.maxDelay >= policy.initialDelay) ? 'maxDelay must be >= initialDelay'
    : !(policy.growth >= 1) ? 'growth must be >= 1'
    : !(policy.maxRetries >= 0) ? 'maxRetries must be >= 0'
    : !(policy.jitter >= 0 && policy.jitter <= 1) ? 'jitter must be between 0 and 1'
    : undefined;
  if (problem) throw new RangeError(`reconnect: ${problem}`);
  return policy;
}

/**
 * Delay before retry number `attempt` (1-based): initialDelay * growth^(attempt-1), spread by
 * ±jitter, never above maxDelay. `random` returns a number in [0, 1).
 */
export function retryDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelay, policy.initialDelay * policy.growth ** (attempt - 1));
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(policy.maxDelay, base * spread));
}
