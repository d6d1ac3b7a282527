import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CookieSignIn } from '../../auth/cookie/cookie-sign-in.js';
import { importCrossbarCookies } from '../../auth/cookie/crossbar-file.js';
import { FileCookieStore } from '../../auth/cookie/file-store.js';
import { MemoryCookieStore, type CookieStore } from '../../auth/cookie/store.js';
import { noticeMessages } from '../../config/codes.js';
import type { CookieAuthConfig, WebSocketOptions } from '../../config/model.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { WebSocketCookies } from '../../transport/websocket-cookie.js';
import { makeDataDirectory } from '../data-dir.js';
import { StartupError } from '../startup-errors.js';

/** Cookie authentication on one WebSocket path: the store, the sign-in and the upgrade's side, with their metrics. */
export interface CookieAuth {
  signIn: CookieSignIn;
  cookies: WebSocketCookies;
  close(): Promise<void>;
}

export function cookieAuth(
  config: CookieAuthConfig,
  options: Pick<WebSocketOptions, 'allowedOrigins'>,
  /** The metrics' labels: the listener's id and the path. */
  labels: { transport: string; path: string },
  metrics: MetricsRegistry,
  log: Logger,
  sharedMemoryPath: string | undefined,
): CookieAuth {
  const store = openStore(config, log, sharedMemoryPath, evictionWarning(log, config.maxEntries));
  const signIn = new CookieSignIn(store, { maxAgeMs: config.maxAgeSeconds * 1000, length: config.length });
  const cookies = new WebSocketCookies({
    signIn, name: config.name, maxAgeSeconds: config.maxAgeSeconds, sameSite: config.sameSite, alwaysSecure: config.alwaysSecure,
    allowedOrigins: options.allowedOrigins,
  });
  const stopMetering = meterCookies(signIn, metrics, labels);
  log.info({ store: config.store.type, ...(config.store.type === 'file' ? { file: config.store.path } : {}), name: config.name }, 'cookie authentication on');
  // Also a load-time notice; repeated at warn level, as every page may now connect to this path.
  if (options.allowedOrigins.includes('*')) log.warn({ code: 'config.notice.cookie_any_origin' }, noticeMessages['config.notice.cookie_any_origin']());
  return {
    signIn,
    cookies,
    close: async () => {
      stopMetering();
      await store.close();
    },
  };
}

/**
 * memory: a Map, unless this process is one of `--workers`: then an lmdb file the workers share
 * (`sharedMemoryPath`, which the parent empties at start), so that a cookie bound on one worker
 * signs in on another.
 */
function openStore(config: CookieAuthConfig, log: Logger, sharedMemoryPath: string | undefined, onEvicted: () => void): CookieStore {
  if (config.store.type === 'file') {
    storeFolder(config.store.path, 'cookie.store.filename (relative to the config folder)');
    const store = new FileCookieStore(config.store.path, config.maxEntries, log, onEvicted);
    importCrossbarCookies(store, config.store.crossbarFile, log, Date.now());
    return store;
  }
  if (sharedMemoryPath !== undefined) {
    makeDataDirectory(dirname(sharedMemoryPath));
    storeFolder(sharedMemoryPath, '--data-dir');
    return new FileCookieStore(sharedMemoryPath, config.maxEntries, log, onEvicted);
  }
  return new MemoryCookieStore(config.maxEntries, onEvicted);
}

/**
 * Makes the lmdb store's folder itself, in a folder that must exist: lmdb would make missing
 * parents with a recursive mkdir, which retries forever where it cannot (under /proc).
 */
function storeFolder(path: string, setting: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(path).isDirectory()) return;
    throw new StartupError('cookie_store_unusable', `cannot create the cookie store folder ${path}: ${code === 'ENOENT' ? 'its parent folder does not exist' : code}; choose another place with ${setting}`);
  }
}

/** How often at most the store's overflow is logged (every eviction is counted). */
const evictionWarningIntervalMs = 60_000;

function evictionWarning(log: Logger, maxEntries: number): () => void {
  let last = -Infinity;
  let since = 0;
  return () => {
    since++;
    const now = Date.now();
    if (now - last < evictionWarningIntervalMs) return;
    log.warn({ evicted: since, maxEntries },
      'the cookie store is full (cookie.max_entries): the oldest bound cookies are dropped and their browsers sign in with their other methods (logged at most once a minute)');
    last = now;
    since = 0;
  };
}

function meterCookies(signIn: CookieSignIn, registry: MetricsRegistry, labels: { transport: string; path: string }): () => void {
  const skipped = registry.counter('junction_cookie_skipped_total',
    'HELLOs listing "cookie" that were not signed in by cookie (the client\'s other methods were tried), by transport, path and reason (no_cookie, unknown, cross_site, other_realm, logged_out)');
  const bindings = registry.counter('junction_cookie_bindings_total', 'Cookies bound to a sign-in by another method, by transport and path');
  const logouts = registry.counter('junction_cookie_logouts_total', 'Cookies forgotten by a wamp.close.logout GOODBYE, by transport and path');
  const entries = registry.gauge('junction_cookie_store_entries', 'Bound cookies in the store, by transport and path');
  const evicted = registry.counter('junction_cookie_store_evicted_total', 'Live bound cookies dropped because the store was at max_entries, by transport and path');
  return registry.collect(() => {
    bindings.setTotal(signIn.bindings, labels);
    logouts.setTotal(signIn.logouts, labels);
    for (const [reason, count] of signIn.skipped) skipped.setTotal(count, { ...labels, reason });
    entries.set(signIn.storeSize, labels);
    evicted.setTotal(signIn.evicted, labels);
  });
}
