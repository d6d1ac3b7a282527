/** Standard WAMP error and close reason URIs. */
export const ErrorUri = {
  invalidUri: 'wamp.error.invalid_uri',
  noSuchProcedure: 'wamp.error.no_such_procedure',
  procedureAlreadyExists: 'wamp.error.procedure_already_exists',
  procedureExistsWithDifferentInvocationPolicy: 'wamp.error.procedure_exists_with_different_invocation_policy',
  noSuchRegistration: 'wamp.error.no_such_registration',
  noSuchSubscription: 'wamp.error.no_such_subscription',
  noSuchSession: 'wamp.error.no_such_session',
  /** The reason of a revocation by force_reregister (Crossbar's). */
  unregistered: 'wamp.error.unregistered',
  invalidArgument: 'wamp.error.invalid_argument',
  systemShutdown: 'wamp.close.system_shutdown',
  closeRealm: 'wamp.close.close_realm',
  goodbyeAndOut: 'wamp.close.goodbye_and_out',
  protocolViolation: 'wamp.error.protocol_violation',
  notAuthorized: 'wamp.error.not_authorized',
  authorizationFailed: 'wamp.error.authorization_failed',
  authenticationFailed: 'wamp.error.authentication_failed',
  noAuthMethod: 'wamp.error.no_auth_method',
  noSuchRealm: 'wamp.error.no_such_realm',
  noSuchRole: 'wamp.error.no_such_role',
  noSuchPrincipal: 'wamp.error.no_such_principal',
  canceled: 'wamp.error.canceled',
  timeout: 'wamp.error.timeout',
  optionNotAllowed: 'wamp.error.option_not_allowed',
  optionDisallowedDiscloseMe: 'wamp.error.option_disallowed.disclose_me',
  networkFailure: 'wamp.error.network_failure',
  unavailable: 'wamp.error.unavailable',
  noAvailableCallee: 'wamp.error.no_available_callee',
  featureNotSupported: 'wamp.error.feature_not_supported',
  payloadSizeExceeded: 'wamp.error.payload_size_exceeded',
  closeNormal: 'wamp.close.normal',
  killed: 'wamp.close.killed',
  /** Crossbar's: every callee the invocation policy may pick has as many calls in flight as its REGISTER `concurrency` allows. */
  maxConcurrencyReached: 'crossbar.error.max_concurrency_reached',
  /** Junction's own: a per-session limit of the realm (subscriptions, registrations, calls in flight, publish rate) refused the request. */
  limitExceeded: 'junction.error.limit_exceeded',
  /** Junction's own GOODBYE reason: a configuration reload removed the role the session was signed in with. */
  roleRemoved: 'junction.close.role_removed',
  /**
   * Junction's own: the receiving session's serializer cannot encode the message (a payload nested
   * too deeply, a value its format cannot carry exactly); see docs/payloads.md.
   */
  unencodablePayload: 'junction.error.unencodable_payload',
  /**
   * Junction's own: the cluster's authority (Redis) did not answer in time, so the request was not
   * done (a REGISTER whose claim of the procedure went unanswered; docs/cluster.md).
   */
  clusterTimeout: 'junction.error.cluster_timeout',
} as const;

export type ErrorUriName = keyof typeof ErrorUri;
