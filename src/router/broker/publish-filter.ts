import type { PublishOptions } from '../options.js';
import type { Session } from '../session.js';

/** Whether a publication's black/white lists leave nothing to check (the common, fast case). */
export function hasReceiverLists(options: PublishOptions): boolean {
  return (
    options.exclude !== undefined || options.excludeAuthid !== undefined || options.excludeAuthrole !== undefined ||
    options.eligible !== undefined || options.eligibleAuthid !== undefined || options.eligibleAuthrole !== undefined
  );
}

/**
 * Subscriber black/white listing: a receiver must pass every eligible list given and be on no
 * exclude list (exclusion wins over eligibility, as the spec says).
 */
export function isReceiverAllowed(receiver: Session, options: PublishOptions): boolean {
  if (options.eligible && !options.eligible.has(receiver.id)) return false;
  if (options.eligibleAuthid && !options.eligibleAuthid.has(receiver.authid)) return false;
  if (options.eligibleAuthrole && !options.eligibleAuthrole.has(receiver.authrole)) return false;
  if (options.exclude?.has(receiver.id)) return false;
  if (options.excludeAuthid?.has(receiver.authid)) return false;
  if (options.excludeAuthrole?.has(receiver.authrole)) return false;
  return true;
}
