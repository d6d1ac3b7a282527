import { dirname } from 'node:path';
import type { CookieSignIn } from '../../auth/cookie/cookie-sign-in.js';
import { importCrossbarCookies } from '../../auth/cookie/crossbar-file.js';
import { MemoryCookieStore, type CookieStore } from '../../auth/cookie/store.js';
import type { CookieAuthConfig } from '../../config/model.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import { PerKeyLogThrottle } from '../../router/limits/warning-throttle.js';
import type { Logger } from '../../router/log.js';
import { makeDataDirectory } from '../data-dir.js';
import { makeOneFolder } from '../one-folder.js';
import { onDemand } from '../on-demand.js';
import { StartupError } from '../startup-errors.js';

/** Where a path's memory store lives when this process does not keep it itself. */
export type SharedMemoryStore =
  /** `--workers`: an lmdb folder the workers of one parent share. */
  | { kind: 'workers'; path: string }
  /** A Redis cluster: every node's path with this name shares it. */
  | { kind: 'cluster'; open(maxEntries: number, onEvicted: () => void): CookieStore };

/** The lmdb file store, loaded when a path first keeps its cookies in a file (its own, or the workers' shared one). */
const fileStoreModule = onDemand('the cookie file store', () => import('../../auth/cookie/file-store.js'));

/** Opens a path's store (storeOpener); `onCorrupt` is told of each read of an lmdb file's entry that is not one. */
export type StoreOpener = (onEvicted: () => void, onCorrupt?: (key: string) => void) => CookieStore;

/**
 * What opens the store of the path `where`, with its module loaded: a file store's lmdb folder
 * beside the config; a memory store in this process, unless it is shared (`shared`) by the
 * workers of `--workers` (an lmdb folder) or the nodes of a cluster.
 */
export async function storeOpener(config: CookieAuthConfig, log: Logger, shared: SharedMemoryStore | undefined, where: string): Promise<StoreOpener> {
  const { maxEntries, store } = config;
  if (store.type === 'file') {
    const { FileCookieStore } = await fileStoreModule(where);
    return (onEvicted, onCorrupt = () => {}) => {
      storeFolder(store.path, 'cookie.store.filename (relative to the config folder)');
      const opened = new FileCookieStore(store.path, maxEntries, log, onEvicted, onCorrupt);
      if (store.crossbarFile !== undefined) importCrossbarCookies(opened, store.crossbarFile, log, Date.now());
      return opened;
    };
  }
  if (shared?.kind === 'workers') {
    const { FileCookieStore } = await fileStoreModule(where);
    return (onEvicted, onCorrupt = () => {}) => {
      makeDataDirectory(dirname(shared.path));
      storeFolder(shared.path, '--data-dir');
      return new FileCookieStore(shared.path, maxEntries, log, onEvicted, onCorrupt);
    };
  }
  return (onEvicted) => (shared?.kind === 'cluster' ? shared.open(maxEntries, onEvicted) : new MemoryCookieStore(maxEntries, onEvicted));
}

function storeFolder(path: string, setting: string): void {
  const problem = makeOneFolder(path);
  if (problem !== undefined) throw new StartupError('cookie_store_unusable', `cannot create the cookie store folder ${path}: ${problem}; choose another place with ${setting}`);
}

/** How often at most one corrupt entry is logged (every read of it is counted). */
const corruptWarnIntervalMs = 3_600_000;

/** Told of each read of a shared store's entry that is not one (`store`: the metric's label, `key`: the cookie's hash). */
export type CorruptEntryReport = (store: string, key: string) => void;

/**
 * Counts reads of a corrupt entry in a shared store (`where`: the cluster's Redis, a cookie file)
 * in junction_cookie_store_corrupt_entries_total{store}: that cookie signs in nobody, and its
 * browser signs in with its other methods. Warns once an hour at most per entry, naming its key
 * (the cookie's hash, never its value).
 */
export function corruptEntryReport(metrics: MetricsRegistry, log: Logger, where: string): CorruptEntryReport {
  const corrupt = metrics.counter('junction_cookie_store_corrupt_entries_total',
    'Reads of a cookie entry in a shared store (the cluster\'s Redis, a cookie file) that is not one (unparseable, or a binding without its fields): that cookie signs in nobody, by store');
  const warnings = new PerKeyLogThrottle(corruptWarnIntervalMs);
  return (store, key) => {
    corrupt.inc({ store });
    if (!warnings.allow(`${store} ${key}`)) return;
    log.warn({ store, key },
      `a cookie entry in ${where} is corrupt: that cookie signs in nobody (its browser signs in with its other methods); every read is counted in junction_cookie_store_corrupt_entries_total`);
  };
}

/** How often at most the store's overflow is logged (every eviction is counted). */
const evictionWarningIntervalMs = 60_000;

/** Warns, at most once a minute, that the store's bound (`maxEntries()`, which a reload may change) dropped live cookies. */
export function evictionWarning(log: Logger, maxEntries: () => number): () => void {
  let last = -Infinity;
  let since = 0;
  return () => {
    since++;
    const now = Date.now();
    if (now - last < evictionWarningIntervalMs) return;
    log.warn({ evicted: since, maxEntries: maxEntries() },
      'the cookie store is full (cookie.max_entries): the oldest bound cookies are dropped and their browsers sign in with their other methods (logged at most once a minute)');
    last = now;
    since = 0;
  };
}

export function meterCookies(signIn: CookieSignIn, registry: MetricsRegistry, labels: { transport: string; path: string }): () => void {
  const skipped = registry.counter('junction_cookie_skipped_total',
    'HELLOs listing "cookie" that were not signed in by cookie (the client\'s other methods were tried), by transport, path and reason (no_cookie, unknown, cross_site, other_realm, logged_out, store_unavailable)');
  const bindings = registry.counter('junction_cookie_bindings_total', 'Cookies bound to a sign-in by another method, by transport and path');
  const logouts = registry.counter('junction_cookie_logouts_total', 'Cookies forgotten by a wamp.close.logout GOODBYE, by transport and path');
  const entries = registry.gauge('junction_cookie_store_entries', 'Bound cookies in the store, by transport and path');
  const evicted = registry.counter('junction_cookie_store_evicted_total', 'Live bound cookies dropped because the store was at max_entries, by transport and path');
  const replaced = registry.counter('junction_cookie_store_replaced_total', 'Live bound cookies dropped because their authid had bound cookie.max_entries_per_authid newer ones in this process, by transport and path');
  return registry.collect(() => {
    bindings.setTotal(signIn.bindings, labels);
    logouts.setTotal(signIn.logouts, labels);
    for (const [reason, count] of signIn.skipped) skipped.setTotal(count, { ...labels, reason });
    entries.set(signIn.storeSize, labels);
    evicted.setTotal(signIn.evicted, labels);
    replaced.setTotal(signIn.replaced, labels);
  });
}
