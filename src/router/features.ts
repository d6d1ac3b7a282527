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
  // force_reregister revokes; so does the meta API's wamp.registration.remove_callee.
  registration_revocation: true,
} as const;

/** Served by the meta API's internal session, so announced only in realms that run it. */
export const metaBrokerFeatures = {
  session_meta_api: true,
  subscription_meta_api: true,
  // wamp.subscription.get_events is a meta procedure.
  event_history: true,
  // wamp.subscription.remove_subscriber is a meta procedure.
  subscription_revocation: true,
} as const;

export const metaDealerFeatures = {
  session_meta_api: true,
  registration_meta_api: true,
  testament_meta_api: true,
} as const;

export function welcomeRoles(options: { metaApi: boolean } = { metaApi: true }): Dict {
  return {
    broker: { features: { ...brokerFeatures, ...(options.metaApi ? metaBrokerFeatures : {}) } },
    dealer: { features: { ...dealerFeatures, ...(options.metaApi ? metaDealerFeatures : {}) } },
  };
}
