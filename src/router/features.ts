import type { Dict } from '../protocol/messages.js';

/**
 * The router's roles and the Advanced Profile features it announces in WELCOME. A feature is
 * listed here only once it works end to end and is tested.
 */
export const brokerFeatures = {
  publisher_exclusion: true,
  subscriber_blackwhite_listing: true,
  publisher_identification: true,
  payload_passthru_mode: true,
  pattern_based_subscription: true,
  event_retention: true,
} as const;

export const dealerFeatures = {
  caller_identification: true,
  call_timeout: true,
  call_canceling: true,
  progressive_call_results: true,
  progressive_call_invocations: true,
  shared_registration: true,
  payload_passthru_mode: true,
  pattern_based_registration: true,
} as const;

export function welcomeRoles(): Dict {
  return {
    broker: { features: { ...brokerFeatures } },
    dealer: { features: { ...dealerFeatures } },
  };
}
