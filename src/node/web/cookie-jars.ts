import { CookieSignIn, type CookieSettings } from '../../auth/cookie/cookie-sign-in.js';
import type { CookieStore } from '../../auth/cookie/store.js';
import type { CookieAuthConfig } from '../../config/model.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { Backplane } from '../../router/backplane.js';
import type { Logger } from '../../router/log.js';
import { aboutConfig } from '../logger.js';
import { sharedMemoryCookiePath } from '../cluster/worker-cookies.js';
import { corruptEntryReport, evictionWarning, meterCookies, storeOpener, type SharedMemoryStore, type StoreOpener } from './cookie-store-open.js';

/** The backplane space of logouts: a note { where, key } ends the cookie's connections on every other process and node. */
const logoutSpace = 'cookie-logout';

export interface CookieJarsOptions {
  log: Logger;
  metrics: MetricsRegistry;
  /** Where `--workers` keep their shared memory stores. */
  dataDir: string;
  /** The node's backplane (`--workers`, a Redis cluster): logouts reach the others through it. */
  backplane?: Backplane;
  /** In a Redis cluster: opens the cluster-wide memory store of a path, `name` "web:/ws" (node/cluster/redis-cookie-store.ts). */
  clusterStore?(name: string, maxEntries: number, onEvicted: () => void): CookieStore;
  /** Closes what clusterStore opened (the node's connection to Redis for cookies). */
  closeClusterStores?(): Promise<void>;
}

/** A path's cookie sign-in as one handler holds it; `release` once the handler is closed. */
export interface HeldCookieSignIn {
  signIn: CookieSignIn;
  release(): Promise<void>;
}

interface Jar {
  /** Which store it is: a reload keeps the jar while this stays the same. */
  identity: string;
  signIn: CookieSignIn;
  store: CookieStore;
  holders: number;
  close(): Promise<void>;
}

/**
 * The cookie sign-ins of the node's WebSocket paths, by path. A config reload that rebuilds a
 * path hands the new handler the jar of the old one while its store stays the same (memory here,
 * the same file, the shared one): the browsers signed in by cookie stay signed in. Logouts are
 * told to the node's other processes and nodes, whose connections with the cookie end too.
 */
export class CookieJars {
  private readonly jars = new Map<string, Jar>();
  /** File stores by path, with how many jars hold each: paths naming one file share it, opened once. */
  private readonly files = new Map<string, { store: CookieStore; holders: number }>();

  constructor(private readonly options: CookieJarsOptions) {
    options.backplane?.listen(logoutSpace, {
      entry: () => {},
      note: (_from, body) => {
        const { where, key } = (body ?? {}) as { where?: unknown; key?: unknown };
        if (typeof where === 'string' && typeof key === 'string') this.jars.get(where)?.signIn.loggedOutElsewhere(key);
      },
    });
  }

  /** The sign-in of the path `where` ('transport "web" path "/ws"'), kept from a handler before when its store is the same. */
  async open(where: string, config: CookieAuthConfig, labels: { transport: string; path: string }, log: Logger): Promise<HeldCookieSignIn> {
    // Loaded first: what follows shares stores between paths, so it runs in one turn.
    const opener = await storeOpener(config, log, this.sharedStore(where, labels), where);
    const identity = this.storeIdentity(config);
    const kept = this.jars.get(where);
    const jar = kept?.identity === identity ? this.reuse(kept, config) : this.create(where, identity, config, labels, log, opener);
    this.jars.set(where, jar);
    jar.holders++;
    let released = false;
    return {
      signIn: jar.signIn,
      release: async () => {
        if (released) return;
        released = true;
        if (--jar.holders > 0) return;
        if (this.jars.get(where) === jar) this.jars.delete(where);
        await jar.close();
      },
    };
  }

  /** At the node's stop, once every path is closed. */
  async close(): Promise<void> {
    this.options.backplane?.unlisten(logoutSpace);
    await this.options.closeClusterStores?.();
  }

  private reuse(jar: Jar, config: CookieAuthConfig): Jar {
    jar.signIn.settings = settingsOf(config);
    jar.store.maxEntries = config.maxEntries;
    return jar;
  }

  private create(where: string, identity: string, config: CookieAuthConfig, labels: { transport: string; path: string }, log: Logger, opener: StoreOpener): Jar {
    if (config.store.type === 'file' && this.options.clusterStore) {
      log.warn({ file: config.store.path, ...aboutConfig }, 'a file cookie store is this node\'s own, also in a Redis cluster: a cookie bound here does not sign in on the other nodes; use the memory store (the cluster\'s, in Redis) for that');
    }
    const { store, release } = this.holdStore(config, labels, log, opener);
    const signIn = new CookieSignIn(store, settingsOf(config));
    signIn.onLogout = (key) => this.options.backplane?.note(logoutSpace, { where, key });
    const stopMetering = meterCookies(signIn, this.options.metrics, labels);
    return {
      identity, signIn, store, holders: 0,
      close: async () => {
        stopMetering();
        await release();
      },
    };
  }

  /** The path's store, and how to let go of it: a file another path has open already is shared, and closed with its last holder. */
  private holdStore(config: CookieAuthConfig, labels: { transport: string; path: string }, log: Logger, opener: StoreOpener): { store: CookieStore; release(): Promise<void> } {
    const path = config.store.type === 'file' ? config.store.path : undefined;
    const open = path === undefined ? undefined : this.files.get(path);
    if (open) {
      open.holders++;
      open.store.maxEntries = config.maxEntries; // one bound per file: the path configured last sets it, as a reload does
    }
    // The warning reads the bound when it fires: a reload may have changed it.
    const corrupt = corruptEntryReport(this.options.metrics, log, 'the cookie file (lmdb)');
    const store: CookieStore = open?.store
      ?? opener(evictionWarning(log, () => store.maxEntries), (key) => corrupt(`${labels.transport}:${labels.path}`, key));
    if (path === undefined) return { store, release: () => store.close() };
    const held = open ?? { store, holders: 1 };
    this.files.set(path, held);
    return {
      store,
      release: async () => {
        if (--held.holders > 0) return;
        this.files.delete(path);
        await store.close();
      },
    };
  }

  /** A memory store kept outside this process: by the cluster (Redis), else by the workers of one parent. */
  private sharedStore(where: string, labels: { transport: string; path: string }): SharedMemoryStore | undefined {
    const { clusterStore } = this.options;
    if (clusterStore) return { kind: 'cluster', open: (maxEntries, onEvicted) => clusterStore(`${labels.transport}:${labels.path}`, maxEntries, onEvicted) };
    const path = sharedMemoryCookiePath(this.options.dataDir, where);
    return path === undefined ? undefined : { kind: 'workers', path };
  }

  private storeIdentity(config: CookieAuthConfig): string {
    return config.store.type === 'file' ? `file:${config.store.path}` : 'memory';
  }
}

function settingsOf(config: CookieAuthConfig): CookieSettings {
  return { maxAgeMs: config.maxAgeSeconds * 1000, length: config.length, maxPerAuthid: config.maxEntriesPerAuthid };
}
