import type { SignInTally } from '../auth/sign-in-tally.js';
import type { SignInThrottle } from '../auth/throttle.js';
import type { MetricsRegistry } from '../metrics/registry.js';

/**
 * Sign-in as an operator reads it: sign-ins by method and outcome; the throttle's attempts slowed
 * down and refused (password guessing, or a client retrying a wrong secret), and how many
 * addresses it remembers (bounded by its `maxAddresses`). Returns how to stop reading it.
 */
export function meterSignIn({ throttle, tally }: { throttle: SignInThrottle; tally: SignInTally }, registry: MetricsRegistry): () => void {
  const signIns = registry.counter('junction_sign_ins_total',
    'Sign-ins through a transport\'s auth, by method (anonymous, ticket, wampcra, cryptosign, scram, tls) and outcome (welcome, refused)');
  const throttled = registry.counter('junction_sign_in_throttled_total',
    'Sign-in attempts from an address over its failure budget, by outcome (delayed: made to wait; refused: the wait would pass sign_in.max_wait)');
  const addresses = registry.gauge('junction_sign_in_addresses', 'Client addresses the sign-in throttle remembers failures of');
  return registry.collect(() => {
    throttled.setTotal(throttle.delayed, { outcome: 'delayed' });
    throttled.setTotal(throttle.refused, { outcome: 'refused' });
    addresses.set(throttle.addressCount);
    for (const { method, outcome, total } of tally.entries()) signIns.setTotal(total, { method, outcome });
  });
}
