import type { RealmConfig } from '../config/model.js';
import type { RealmSettings } from '../router/realm.js';
import type { NodeAuth } from './auth-wiring.js';

/** A configured realm as the router takes it: its authorizer from the node's auth, its options and limits. */
export function realmSettings(auth: NodeAuth, realm: RealmConfig): RealmSettings {
  return {
    ...auth.realmSettings(realm),
    enableMetaApi: realm.options.enableMetaApi,
    eventHistory: realm.store.eventHistory,
    limits: realm.options.limits,
  };
}
