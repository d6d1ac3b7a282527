import type { RealmConfig } from '../config/model.js';
import type { RealmSettings } from '../router/realm.js';
import type { NodeAuth } from './auth-wiring.js';
import type { HistoryStores } from './history/history-stores.js';

/**
 * A configured realm as the router takes it: its authorizer, URI rule and limits from the node's
 * auth, its meta API and event history (with its file, opened here, for a "cfxdb" store).
 */
export async function realmSettings(auth: NodeAuth, realm: RealmConfig, historyStores: HistoryStores): Promise<RealmSettings> {
  const historyStore = await historyStores.forRealm(realm);
  return {
    ...auth.realmSettings(realm),
    enableMetaApi: realm.options.enableMetaApi,
    stats: realm.options.stats,
    eventHistory: realm.store.eventHistory,
    ...(historyStore && { historyStore }),
    callQueues: realm.store.callQueue,
  };
}
