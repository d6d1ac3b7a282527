import type { BridgeComponentBase } from '../../config/model.js';
import type { InternalSession } from '../../router/internal-session.js';
import type { ComponentContext } from './component-types.js';

/**
 * A component's router session: as its configured role (authorization applies), or as the
 * router's own trusted session when the file gives none. Its authid is the component's id.
 */
export function joinComponentSession(config: BridgeComponentBase, context: ComponentContext): Promise<InternalSession> {
  return config.role === undefined
    ? context.joinTrustedSession(config.realm, config.id)
    : context.joinBridgeSession(config.realm, config.role, config.id);
}
