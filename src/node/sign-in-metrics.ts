import type { SignInFailures } from '../auth/sign-in-failures.js';
import type { SignInThrottle } from '../auth/throttle.js';
import type { MetricsRegistry } from '../metrics/registry.js';

/**
 * Sign-in as an operator reads it: failures by method, the throttle's attempts slowed down and
 * refused (password guessing, or a client retrying a wrong secret), and how many addresses it
 * remembers (bounded by its `maxAddresses`). Returns how to stop reading it.
 */
export function meterSignIn(auth: { throttle: SignInThrottle; failures: SignInFailures }, registry: MetricsRegistry): () => void {
  const { throttle, failures } = auth;
  const failed = registry.counter('junction_sign_in_failures_total',
    'Sign-ins that failed (wrong or unknown credentials, an authenticator that refused...), by authentication method');
  const throttled = registry.counter('junction_sign_in_throttled_total',
    'Sign-in attempts from an address over its failure budget, by outcome (delayed: made to wait; refused: the wait would pass sign_in.max_wait)');
  const addresses = registry.gauge('junction_sign_in_addresses', 'Client addresses the sign-in throttle remembers failures of');
  return registry.collect(() => {
    for (const [method, count] of failures.byMethod()) failed.setTotal(count, { authmethod: method });
    throttled.setTotal(throttle.delayed, { outcome: 'delayed' });
    throttled.setTotal(throttle.refused, { outcome: 'refused' });
    addresses.set(throttle.addressCount);
  });
}
