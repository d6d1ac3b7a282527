import type { MetricsRegistry } from '../metrics/registry.js';
import { sharedRolesCount } from '../router/client-roles.js';
import type { NodeAuth } from './auth-wiring.js';

/**
 * The bounded caches clients fill, as an operator reads them: entries now and what was let go for
 * room. Read at scrape time, so the lookups themselves count nothing. Returns how to stop reading.
 * The MQTT topic-name table is metered by the MQTT door itself (transport/mqtt/topics.ts), which a
 * node without MQTT does not load.
 */
export function meterCaches(auth: NodeAuth, registry: MetricsRegistry): () => void {
  const authorizationCached = registry.gauge('junction_authorization_cached',
    'Authorization decisions remembered, by realm: static roles\' deciding permission per URI, dynamic authorizers\' answers with cache true');
  const authorizationDropped = registry.counter('junction_authorization_cache_dropped_total',
    'Authorization decisions let go because their role\'s cache was full (a static role\'s is emptied, a dynamic authorizer\'s oldest goes)');
  const clientRoles = registry.gauge('junction_client_roles_shared', 'Distinct HELLO roles announcements shared between sessions (past the limit a session keeps its own copy)');
  let realmsSeen = new Set<string>();
  return registry.collect(() => {
    const realms = new Set<string>();
    for (const [realm, authorizer] of auth.realmAuthorizers()) {
      realms.add(realm);
      authorizationCached.set(authorizer.cachedCount, { realm });
    }
    for (const realm of realmsSeen) if (!realms.has(realm)) authorizationCached.set(0, { realm });
    realmsSeen = realms;
    authorizationDropped.setTotal(auth.authorizationDrops.count);
    clientRoles.set(sharedRolesCount());
  });
}
