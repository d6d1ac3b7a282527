import type { ListenerConfig } from '../config/model.js';
import { UnsupportedConfigError } from './auth-wiring.js';
import type { NodeContext } from './web/service-context.js';
import type { Listener } from './node.js';

/** A `rawsocket` transport: WAMP RawSocket on TCP or a Unix socket. */
export function rawSocketListener(config: ListenerConfig, _context: NodeContext): Listener {
  throw new UnsupportedConfigError(`transport "${config.id}": rawsocket transports are not available in this build yet`);
}
