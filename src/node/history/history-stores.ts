import type { RealmConfig } from '../../config/model.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { HistoryStore } from '../../router/broker/history-store.js';
import type { Logger } from '../../router/log.js';
import { makeOneFolder } from '../one-folder.js';
import { StartupError } from '../startup-errors.js';
import { onDemand } from '../on-demand.js';
import type { HistoryStoreMeter, LmdbHistoryStore } from './lmdb-history-store.js';

/** The file store and LMDB, loaded when a realm first keeps its history in a file. */
const lmdbModule = onDemand('the event history file store', () => import('./lmdb-history-store.js'));

/**
 * The history files of the node's realms ("cfxdb" stores), opened as their realms start (at
 * start, or added by a reload) and closed, after a last write, when the node stops. One folder
 * holds one realm: a second realm naming it is refused, as its events would mix with the first's.
 */
export class HistoryStores {
  private readonly stores = new Map<string, { realm: string; store: LmdbHistoryStore }>();

  constructor(private readonly log: Logger, private readonly metrics: MetricsRegistry) {}

  /** The store of a realm whose history is kept in a file; undefined for an in-memory one. */
  async forRealm(realm: RealmConfig): Promise<HistoryStore | undefined> {
    const config = realm.store.file;
    if (!config) return undefined;
    const { LmdbHistoryStore } = await lmdbModule(`realm "${realm.name}"`);
    const open = this.stores.get(config.path);
    if (open?.realm === realm.name) return open.store;
    if (open) {
      throw new StartupError('history_store_unusable',
        `realms "${open.realm}" and "${realm.name}" both keep their event history at ${config.path}: give each realm's store its own "path"`);
    }
    const problem = config.readonly ? undefined : makeOneFolder(config.path);
    let store: LmdbHistoryStore;
    try {
      if (problem !== undefined) throw new Error(problem);
      store = new LmdbHistoryStore(config, this.log.child({ part: 'history', realm: realm.name }), this.meter(realm.name));
    } catch (error) {
      throw new StartupError('history_store_unusable',
        `cannot open the event history store of realm "${realm.name}" at ${config.path}: ${(error as Error).message}; choose another "path" for its store` +
        (config.readonly ? ' (a "readonly" store must exist already)' : ''));
    }
    this.stores.set(config.path, { realm: realm.name, store });
    return store;
  }

  /** Writes what each store has buffered, then closes it. */
  async close(): Promise<void> {
    await Promise.all([...this.stores.values()].map(({ store }) => store.close()));
    this.stores.clear();
  }

  private meter(realm: string): HistoryStoreMeter {
    const labels = { realm };
    const bytes = this.metrics.gauge('junction_event_history_file_bytes', 'Bytes (as encoded) of the events in a realm\'s event history file ("cfxdb" store), by realm; bounded by its maxsize');
    const notWritten = this.metrics.counter('junction_event_history_file_not_written_total',
      'Events kept in memory but not written to the realm\'s event history file, by realm and reason (buffer_full: max-buffer changes waiting; store_full: maxsize reached; write_failed)');
    const unreadable = this.metrics.counter('junction_event_history_file_unreadable_total', 'Entries of a realm\'s event history file skipped at start because they cannot be read as events, by realm');
    return {
      storedBytes: (value) => bytes.set(value, labels),
      notWritten: (reason, events) => notWritten.inc({ ...labels, reason }, events),
      unreadable: (entries) => unreadable.inc(labels, entries),
    };
  }
}
