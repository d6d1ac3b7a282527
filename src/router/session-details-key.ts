import { isDict } from '../protocol/parse.js';
import type { Dict } from '../protocol/messages.js';

/**
 * wamp.session.on_leave carries one positional argument, the session ID, and nothing else, as
 * Crossbar publishes it: Autobahn|Python calls a handler with exactly the event's args and kwargs
 * (kwargs as keyword arguments), so Crossbar's documented `def on_leave(session_id)` fails on any
 * more (the spec's three, authid and authrole, included). The leaving session's details (what
 * on_join showed) ride in EVENT.Details under this custom (x_) key instead, which clients ignore
 * and the forwarder's webhooks read. Only the router's own (trusted) publishers may set it.
 */
export const sessionDetailsKey = 'x_session_details';

/** The leaving session's details an EVENT carries, if any. */
export function sessionDetailsOf(eventDetails: Dict): Dict | undefined {
  const value = eventDetails[sessionDetailsKey];
  return isDict(value) ? value : undefined;
}
