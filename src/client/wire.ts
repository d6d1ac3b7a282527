/**
 * The message type codes and error URIs the client sends and dispatches on, as plain constants:
 * the bundler inlines a constant where a property of the protocol's tables would cost its name
 * at every use, and the browser bundle has a size budget. Each constant is typed by the
 * protocol's table, so the compiler checks that the two agree.
 */
import type { MessageType } from '../protocol/codes.js';
import type { ErrorUri } from '../protocol/errors.js';

export const HELLO: typeof MessageType.HELLO = 1;
export const WELCOME: typeof MessageType.WELCOME = 2;
export const ABORT: typeof MessageType.ABORT = 3;
export const CHALLENGE: typeof MessageType.CHALLENGE = 4;
export const AUTHENTICATE: typeof MessageType.AUTHENTICATE = 5;
export const GOODBYE: typeof MessageType.GOODBYE = 6;
export const ERROR: typeof MessageType.ERROR = 8;
export const PUBLISH: typeof MessageType.PUBLISH = 16;
export const PUBLISHED: typeof MessageType.PUBLISHED = 17;
export const SUBSCRIBE: typeof MessageType.SUBSCRIBE = 32;
export const SUBSCRIBED: typeof MessageType.SUBSCRIBED = 33;
export const UNSUBSCRIBE: typeof MessageType.UNSUBSCRIBE = 34;
export const UNSUBSCRIBED: typeof MessageType.UNSUBSCRIBED = 35;
export const EVENT: typeof MessageType.EVENT = 36;
export const CALL: typeof MessageType.CALL = 48;
export const CANCEL: typeof MessageType.CANCEL = 49;
export const RESULT: typeof MessageType.RESULT = 50;
export const REGISTER: typeof MessageType.REGISTER = 64;
export const REGISTERED: typeof MessageType.REGISTERED = 65;
export const UNREGISTER: typeof MessageType.UNREGISTER = 66;
export const UNREGISTERED: typeof MessageType.UNREGISTERED = 67;
export const INVOCATION: typeof MessageType.INVOCATION = 68;
export const INTERRUPT: typeof MessageType.INTERRUPT = 69;
export const YIELD: typeof MessageType.YIELD = 70;

export const AUTHENTICATION_FAILED_URI: (typeof ErrorUri)['authenticationFailed'] = 'wamp.error.authentication_failed';
export const CANCELED_URI: (typeof ErrorUri)['canceled'] = 'wamp.error.canceled';
export const CLOSE_REALM_URI: (typeof ErrorUri)['closeRealm'] = 'wamp.close.close_realm';
export const GOODBYE_AND_OUT_URI: (typeof ErrorUri)['goodbyeAndOut'] = 'wamp.close.goodbye_and_out';
export const NETWORK_FAILURE_URI: (typeof ErrorUri)['networkFailure'] = 'wamp.error.network_failure';
export const NO_SUCH_REGISTRATION_URI: (typeof ErrorUri)['noSuchRegistration'] = 'wamp.error.no_such_registration';
export const PROTOCOL_VIOLATION_URI: (typeof ErrorUri)['protocolViolation'] = 'wamp.error.protocol_violation';
export const TIMEOUT_URI: (typeof ErrorUri)['timeout'] = 'wamp.error.timeout';
