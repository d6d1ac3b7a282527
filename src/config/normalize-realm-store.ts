/** A realm's `store`, from the file's shape to the model's: its event history and call queues, and for "cfxdb" the file that keeps the history. */

import type { MatchPolicy, RealmStore } from './model.js';
import { notice } from './notices.js';
import type { ConfigPath } from './config-path.js';
import { cfxdbStoreDefaults, type RealmFile } from './schema-router.js';
import { fromConfigDir, type NormalizeContext } from './normalize-context.js';

export function realmStore(store: RealmFile['store'], at: ConfigPath, context: NormalizeContext): RealmStore {
  // Both kinds of entry take their bounds from the store's when they give none.
  const bounded = (entry: { uri: string; match: MatchPolicy; limit?: number | undefined; limit_bytes?: number | undefined }) => ({
    uri: entry.uri,
    match: entry.match,
    limit: entry.limit ?? store!.limit,
    limitBytes: entry.limit_bytes ?? store!.limit_bytes,
  });
  const eventHistory = (store?.['event-history'] ?? []).map(bounded);
  const callQueue = (store?.['call-queue'] ?? []).map(bounded);
  if (store?.type !== 'cfxdb') return { eventHistory, callQueue };
  // Crossbar's zLMDB database holds flatbuffers records Junction does not read: ours goes beside it, as the cookie store's.
  const crossbarDatabase = fromConfigDir(context, store.path!);
  const path = `${crossbarDatabase}.lmdb`;
  context.notices.push(notice('config.notice.realm_store_database', [...at, 'path'], path, crossbarDatabase));
  return {
    eventHistory,
    callQueue,
    file: {
      path,
      maxBytes: store.maxsize ?? cfxdbStoreDefaults.maxsize,
      readonly: store.readonly ?? cfxdbStoreDefaults.readonly,
      sync: store.sync ?? cfxdbStoreDefaults.sync,
      bufferFlushMs: store['buffer-flush'] ?? cfxdbStoreDefaults.bufferFlushMs,
      maxBuffer: store['max-buffer'] ?? cfxdbStoreDefaults.maxBuffer,
    },
  };
}
