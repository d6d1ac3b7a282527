import type { RealmConfig } from '../config/model.js';
import type { RealmSettings } from '../router/realm.js';
import type { NodeAuth } from './auth-wiring.js';

/** A configured realm as the router takes it: its authorizer, URI rule and limits from the node's auth, its meta API and event history. */
export function realmSettings(auth: NodeAuth, realm: RealmConfig): RealmSettings {
  return {
    ...auth.realmSettings(realm),
    enableMetaApi: realm.options.enableMetaApi,
    stats: realm.options.stats,
    eventHistory: realm.store.eventHistory,
    callQueues: realm.store.callQueue,
  };
}
