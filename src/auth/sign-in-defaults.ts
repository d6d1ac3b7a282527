/**
 * Sign-in timing when nothing else is given (a gate built without a configuration, such as the
 * anonymous gate of tests and the embedded default). The configuration schema's `sign_in`
 * defaults are these same values, imported, so each is written once.
 */

/** A CHALLENGE not answered within this time fails. */
export const defaultChallengeTimeoutMs = 60_000;

/** A dynamic authenticator or authorizer that does not answer within this time denies. */
export const defaultDynamicCallTimeoutMs = 10_000;
