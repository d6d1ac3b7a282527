import { isDict } from '../protocol/parse.js';
import type { Dict } from '../protocol/messages.js';

/**
 * wamp.session.on_leave carries the spec's three positional arguments and nothing else: Autobahn|
 * Python passes kwargs to a handler as keyword arguments, so any kwargs would break every
 * on_leave handler written for the spec or for Crossbar. The leaving session's details (what
 * on_join showed) ride in EVENT.Details under this custom (x_) key instead, which clients ignore
 * and the forwarder's webhooks read. Only the router's own (trusted) publishers may set it.
 */
export const sessionDetailsKey = 'x_session_details';

/** The leaving session's details an EVENT carries, if any. */
export function sessionDetailsOf(eventDetails: Dict): Dict | undefined {
  const value = eventDetails[sessionDetailsKey];
  return isDict(value) ? value : undefined;
}
