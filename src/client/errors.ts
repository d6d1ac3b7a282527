import type { Args, Kwargs } from './types.js';
import { NETWORK_FAILURE_URI } from './wire.js';

/**
 * An error that travels over WAMP: an ERROR reply, an ABORT, or one an endpoint throws to send
 * its caller a specific error URI. Same fields as AutobahnJS's `autobahn.Error`.
 */
export class WampError extends Error {
  constructor(
    readonly uri: string,
    readonly args: Args = [],
    readonly kwargs: Kwargs = {},
    readonly details: Record<string, unknown> = {},
  ) {
    super(typeof args[0] === 'string' ? `${uri}: ${args[0]}` : uri);
  }

  override name = 'WampError';

  /** AutobahnJS's name for `uri`. */
  get error(): string {
    return this.uri;
  }
}

/**
 * The connection to the router dropped while a request was in flight: the router may or may
 * not have acted on it. The session itself reconnects if it is allowed to.
 */
export class ConnectionLostError extends WampError {
  constructor(reason: string) {
    super(NETWORK_FAILURE_URI, [`connection lost (${reason})`]);
  }

  override name = 'ConnectionLostError';
}

/** Misuse: an operation on a session that was left or that gave up reconnecting. */
export class SessionClosedError extends Error {
  override name = 'SessionClosedError';
}

/** Misuse: a topic or procedure that is not a WAMP URI, caught before anything is sent. */
export class InvalidUriError extends TypeError {
  override name = 'InvalidUriError';
}

/** The router could not be reached, or the transport failed before the session was established. */
export class TransportError extends Error {
  override name = 'TransportError';
}

/**
 * The protocol's loose URI rules (isValidUri with strict: false), as plain regular expressions:
 * the protocol's function carries the strict rules too, which the browser bundle's size budget
 * cannot afford. test/client/bundle.test.ts checks that the two agree.
 */
const looseUri = /^([^\s.#]+\.)*([^\s.#]+)$/;
/** A pattern may have empty components ("com..update", "com.myapp."), but is never empty itself. */
const loosePattern = /^(([^\s.#]+\.)|\.)*([^\s.#]+)?$/;

/** Throws InvalidUriError naming the operation unless `uri` is a URI (or, with `pattern`, a prefix or wildcard pattern). */
export function checkUri(operation: string, uri: unknown, pattern = false): asserts uri is string {
  if (typeof uri !== 'string' || !uri || !(pattern ? loosePattern : looseUri).test(uri)) {
    const rule = pattern ? 'no whitespace or "#" allowed' : 'components must be non-empty, without whitespace or "#"';
    throw new InvalidUriError(`${operation}: ${JSON.stringify(uri)} is not a valid URI${pattern ? ' pattern' : ''} (${rule})`);
  }
}

/** The human-readable `message` a router may put in ABORT or GOODBYE details. */
export function detailsMessage(details: Record<string, unknown>): string | undefined {
  return typeof details.message === 'string' ? details.message : undefined;
}
