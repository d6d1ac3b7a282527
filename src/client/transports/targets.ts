/**
 * `connect({ transports: [...] })`: the list checked and turned into what the connection dials.
 *
 * connect() imports this module only when `transports` is given, and this module imports the
 * long-poll transport only when a connection first tries it: the JSON-only browser bundle has no
 * room for either (its size budget), so both are chunks loaded on demand. Neither imports client
 * code at run time, which would pull shared code out of the bundle into a chunk loaded up front.
 */
import type { DialTarget } from '../connection.js';
import type { TransportFactory } from '../transport.js';
import type { TransportOptions } from '../types.js';
import type { LongPollOptions } from './longpoll.js';

/** Entries in `transports`: a list to try in order, not a pool. */
export const MAX_TRANSPORTS = 8;

/** Long-poll, imported when a connection first tries it. */
export const loadLongPoll = (options: LongPollOptions): TransportFactory => async (url, protocols, handlers) =>
  (await import('./longpoll.js')).longPollTransport(options)(url, protocols, handlers);

const schemes = { websocket: /^wss?:\/\//i, longpoll: /^https?:\/\//i };

/**
 * The dial targets for `transports`, in order. `websocket` opens every websocket entry;
 * `longPoll` makes the factory of a long-poll entry. Throws a TypeError naming the bad entry.
 */
export function dialTargets(
  transports: readonly TransportOptions[],
  url: unknown,
  websocket: TransportFactory,
  longPoll: (options: LongPollOptions) => TransportFactory = loadLongPoll,
): DialTarget[] {
  if (url !== undefined) throw new TypeError('connect: give url or transports, not both');
  if (!Array.isArray(transports) || transports.length < 1 || transports.length > MAX_TRANSPORTS) {
    throw new TypeError(`connect: transports must be a list of 1 to ${MAX_TRANSPORTS} transports, got ${JSON.stringify(transports)}`);
  }
  return transports.map((entry: TransportOptions) => {
    const { type, url } = (entry ?? {}) as Partial<TransportOptions>;
    const requestTimeout = (entry as { requestTimeout?: unknown } | undefined)?.requestTimeout;
    const valid =
      (type === 'websocket' || type === 'longpoll') &&
      typeof url === 'string' &&
      schemes[type].test(url) &&
      (requestTimeout === undefined || (type === 'longpoll' && typeof requestTimeout === 'number' && requestTimeout > 0));
    if (!valid) {
      throw new TypeError(
        `connect: each transport must be {type: 'websocket', url: 'ws(s)://...'} or {type: 'longpoll', url: 'http(s)://...', requestTimeout?: ms > 0}, got ${JSON.stringify(entry)}`,
      );
    }
    return {
      type,
      url,
      transport: type === 'websocket' ? websocket : longPoll({ requestTimeout: requestTimeout as number | undefined }),
    };
  });
}
