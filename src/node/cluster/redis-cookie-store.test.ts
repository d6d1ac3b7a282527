import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { documentedAclRules, RunningRedis } from '../../../test/support/redis-server.js';
import { waitFor } from '../../../test/support/wait.js';
import type { CookieEntry, CookieStore } from '../../auth/cookie/store.js';
import type { ClusterConfig } from '../../config/model.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { silentLogger, type Logger } from '../../router/log.js';
import { redisCookieStores } from './redis-cookie-store.js';

const skip = skipWithoutDebian('redis-server');
let redis: RunningRedis | undefined;
let prefixes = 0;
before(async () => {
  if (!skip) redis = await RunningRedis.start();
});
after(() => redis?.stop());

const binding = (authid: string) => ({ authid, authrole: 'user', authmethod: 'wampcra', realm: 'realm1' });
const entry = (authid: string, expires: number): CookieEntry => ({ expires, binding: binding(authid) });
const name = 'web:/ws';

/** Nodes of one cluster (their own prefix on the one Redis): each opens the path's store over its own connection. */
function cluster(commandTimeoutMs = 2_000, url = redis!.url, prefix = `cookies${++prefixes}`) {
  const config: ClusterConfig = { redis: { url }, prefix, maxPendingBytes: 1 << 20, commandTimeoutMs, heartbeatMs: 1_000, leaseMs: 3_000 };
  const nodes: (() => Promise<void>)[] = [];
  return {
    config,
    node(maxEntries = 10, onEvicted = () => {}, metrics = new MetricsRegistry(), log: Logger = silentLogger): CookieStore {
      const stores = redisCookieStores(config, `n${nodes.length + 1}`, log, metrics);
      nodes.push(stores.closeClusterStores!);
      return stores.clusterStore!(name, maxEntries, onEvicted);
    },
    close: () => Promise.all(nodes.map((close) => close())),
  };
}

/** Reads until `check` holds (each node writes on its own connection), at most 50 times. */
async function readUntil(store: CookieStore, key: string, now: number, check: (read: CookieEntry | undefined) => boolean): Promise<CookieEntry | undefined> {
  let read = await store.get(key, now);
  for (let i = 0; i < 50 && !check(read); i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    read = await store.get(key, now);
  }
  return read;
}

describe('the cookie store in Redis', { skip }, () => {
  it('a cookie bound on one node is read on another; a logout on that one forgets it for both; an expired one reads as absent', async () => {
    const nodes = cluster();
    const [a, b] = [nodes.node(), nodes.node()];
    a.put('k1', entry('joe', Date.now() + 60_000), Date.now());
    assert.equal((await readUntil(b, 'k1', Date.now(), (read) => read !== undefined))?.binding.authid, 'joe');
    assert.equal(await b.get('k1', Date.now() + 61_000), undefined, 'past its expiry');
    b.forget('k1');
    a.forgottenElsewhere!('k1'); // the logout's backplane note
    assert.equal(await readUntil(a, 'k1', Date.now(), (read) => read === undefined), undefined);
    await nodes.close();
  });

  it('a cookie read lately is served from the node\'s memory (one Redis read for an upgrade, its HELLO and a reconnect); a logout on another node drops it there', async () => {
    const nodes = cluster();
    const metrics = new MetricsRegistry();
    const [a, b] = [nodes.node(10, () => {}, metrics), nodes.node()];
    const kept = () => metrics.gauge('junction_cookie_store_recent_reads', '').value({ store: name });
    const now = Date.now();
    b.put('k1', entry('joe', now + 60_000), now);
    await readUntil(a, 'k1', now, (read) => read !== undefined);
    assert.equal(kept(), 1, 'the read is kept, and counted');
    const inspector = new Redis(redis!.url);
    try {
      const reads = async (): Promise<number> => Number(/cmdstat_get:calls=(\d+)/.exec(await inspector.info('commandstats'))?.[1] ?? 0);
      const before = await reads();
      for (let i = 0; i < 3; i++) assert.equal((await a.get('k1', now))?.binding.authid, 'joe');
      assert.equal(await reads() - before, 0, 'no read reached Redis');
      b.forget('k1');
      const entryKey = `${nodes.config.prefix}:cookies:${name}:e:k1`;
      for (let i = 0; i < 100 && (await inspector.exists(entryKey)) === 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      a.forgottenElsewhere!('k1'); // the logout's backplane note
      assert.equal(await a.get('k1', now), undefined, 'read from Redis again: forgotten');
      assert.equal(kept(), 0, 'dropped with the logout');
    } finally {
      inspector.disconnect();
      await nodes.close();
    }
  });

  it('holds at most max_entries: a full store drops the oldest, counted as evicted; Redis forgets each entry with its cookie', async () => {
    let told = 0;
    const nodes = cluster();
    const store = nodes.node(2, () => told++);
    const now = Date.now();
    store.put('old', entry('a', now + 10_000), now);
    store.put('mid', entry('b', now + 20_000), now);
    store.put('new', entry('c', now + 30_000), now);
    await readUntil(store, 'new', now, (read) => read !== undefined);
    await waitFor(() => store.evicted === 1, 'the eviction counted');
    assert.equal(told, 1);
    assert.equal(store.size, 2);
    assert.equal(await store.get('old', now), undefined);
    assert.equal((await store.get('mid', now))?.binding.authid, 'b');
    const inspector = new Redis(redis!.url);
    try {
      const ttl = await inspector.pttl(`${nodes.config.prefix}:cookies:${name}:e:new`);
      assert.ok(ttl > 20_000 && ttl <= 30_000, `expires with the cookie: ${ttl} ms`);
      assert.equal(await inspector.zcard(`${nodes.config.prefix}:cookies:${name}:order`), 2);
    } finally {
      inspector.disconnect();
    }
    await nodes.close();
  });

  it('while Redis does not answer: a read rejects, and a logout is written once it answers (the node reads it as forgotten meanwhile)', async () => {
    const nodes = cluster(300);
    const store = nodes.node();
    const now = Date.now();
    store.put('k1', entry('joe', now + 60_000), now);
    await readUntil(store, 'k1', now, (read) => read !== undefined);
    redis!.pause();
    try {
      await assert.rejects(async () => store.get('unread', now)); // a cookie it did not read lately
      store.forget('k1');
      await new Promise((resolve) => setTimeout(resolve, 700)); // the forget times out and waits
      assert.equal(await store.get('k1', now), undefined, 'this node reads it as forgotten');
    } finally {
      redis!.resume();
    }
    const inspector = new Redis(redis!.url);
    try {
      const entryKey = `${nodes.config.prefix}:cookies:${name}:e:k1`;
      for (let i = 0; i < 100 && (await inspector.exists(entryKey)) === 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(await inspector.exists(entryKey), 0, 'the logout reached Redis');
    } finally {
      inspector.disconnect();
    }
    await nodes.close();
  });

  it('a corrupt entry signs in nobody, is counted and logged once under its hash, and leaves Redis up for every other cookie', async () => {
    const nodes = cluster();
    const metrics = new MetricsRegistry();
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const log: Logger = { ...silentLogger, warn: (fields, message) => void warnings.push({ fields: fields as Record<string, unknown>, message }) };
    const store = nodes.node(10, () => {}, metrics, log);
    const now = Date.now();
    store.put('good', entry('joe', now + 60_000), now);
    await readUntil(store, 'good', now, (read) => read !== undefined);
    const inspector = new Redis(redis!.url);
    try {
      const entryKey = (key: string) => `${nodes.config.prefix}:cookies:${name}:e:${key}`;
      await inspector.set(entryKey('garbled'), '{"expires": 9');
      await inspector.set(entryKey('shapeless'), JSON.stringify({ expires: now + 60_000, binding: { authid: 7 } }));
      for (let i = 0; i < 2; i++) {
        assert.equal(await store.get('garbled', now), undefined, 'read as unknown, not as Redis away');
        assert.equal(await store.get('shapeless', now), undefined, 'a binding without its strings');
      }
      const corrupt = metrics.counter('junction_cookie_store_corrupt_entries_total', '');
      assert.equal(corrupt.value({ store: name }), 4, 'every read counted');
      assert.equal(metrics.counter('junction_cookie_store_unavailable_total', '').value({ operation: 'read' }), 0, 'Redis was not away');
      assert.deepEqual(warnings.map(({ fields }) => fields.key), ['garbled', 'shapeless'], 'one line per entry, naming its hash');
      assert.ok(warnings.every(({ message }) => /corrupt/.test(message)));
      assert.equal((await store.get('good', now))?.binding.authid, 'joe', 'other cookies still sign in');
    } finally {
      inspector.disconnect();
      await nodes.close();
    }
  });

  it('works with the permissions docs/cluster.md gives the nodes\' Redis user (ACL)', async () => {
    const admin = new Redis(redis!.url);
    try {
      await admin.acl('SETUSER', 'junction', ...documentedAclRules().map((rule) => rule.replace('>PASSWORD', '>documented')));
    } finally {
      admin.disconnect();
    }
    // The documented rules name the default prefix's keys.
    const nodes = cluster(2_000, `redis://junction:documented@127.0.0.1:${redis!.port}/0`, 'junction');
    let told = 0;
    const store = nodes.node(1, () => told++);
    const now = Date.now();
    store.put('k1', entry('joe', now + 60_000), now);
    store.put('k2', entry('ann', now + 60_000), now);
    assert.equal((await readUntil(store, 'k2', now, (read) => read !== undefined))?.binding.authid, 'ann');
    assert.equal(told, 1, 'the oldest was evicted');
    store.forget('k2');
    assert.equal(await readUntil(store, 'k2', now, (read) => read === undefined), undefined);
    await nodes.close();
  });
});
