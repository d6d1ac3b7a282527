import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { CookieAuthConfig } from '../../config/model.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { silentLogger } from '../../router/log.js';
import { StartupError } from '../startup-errors.js';
import { cookieAuth } from './cookie-auth.js';
import { CookieJars } from './cookie-jars.js';
import { storeOpener } from './cookie-store-open.js';
import { withVisit, type CookieSignIn } from '../../auth/cookie/cookie-sign-in.js';
import { open } from 'lmdb';
import { CaptureLog } from '../../../test/auth/support/capture-log.js';

const folder = mkdtempSync(join(tmpdir(), 'junction-cookie-auth-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const config = (path: string): CookieAuthConfig => ({
  name: 'cbtid', length: 24, maxAgeSeconds: 60, store: { type: 'file', path, crossbarFile: path.replace(/\.lmdb$/, '') }, maxEntries: 10, maxEntriesPerAuthid: 100, sameSite: 'Lax', alwaysSecure: false,
});
const labels = { transport: 'web', path: '/ws' };
const where = 'transport "web" path "/ws"';
const jars = (dataDir = folder) => new CookieJars({ log: silentLogger, metrics: new MetricsRegistry(), dataDir });

describe('cookie authentication of a path: its store', () => {
  it('a file store makes its lmdb folder beside the config', async () => {
    const path = join(folder, 'cookies.dat.lmdb');
    const opened = await cookieAuth(config(path), { allowedOrigins: [] }, jars(), where, labels, silentLogger);
    assert.ok(statSync(path).isDirectory());
    await opened.close();
  });

  it('a folder that cannot be made fails start-up at once with cookie_store_unusable, naming it (lmdb itself would retry forever under /proc)', async () => {
    await assert.rejects(cookieAuth(config('/proc/junction-none/cookies.dat.lmdb'), { allowedOrigins: [] }, jars(), where, labels, silentLogger),
      (error: unknown) => error instanceof StartupError && error.code === 'cookie_store_unusable' && error.message.includes('/proc/junction-none/cookies.dat.lmdb'));
  });

  it('with --workers, the memory store is an lmdb folder under the data folder, made with its parents', async () => {
    const shared = join(folder, 'data', 'worker-cookies', '123', 'transport_web_path_ws');
    const memory = { ...config(''), store: { type: 'memory' as const } };
    const store = (await storeOpener(memory, silentLogger, { kind: 'workers', path: shared }, where))(() => {});
    assert.ok(statSync(shared).isDirectory());
    await store.close();
  });
});

describe('cookie authentication of a path across config reloads', () => {
  const memory = { ...config(''), store: { type: 'memory' as const } };
  const bind = async (signIn: CookieSignIn): Promise<string> => {
    const { visit, newToken } = await signIn.arrive(undefined, false);
    const transport = { type: 'websocket', serializer: 'json', peer: 'tcp4:127.0.0.1:1', extra: withVisit({ path: '/ws' }, visit) };
    signIn.signedIn({ realm: 'realm1', details: {}, transport, sessionId: 1 }, { authid: 'joe', authrole: 'user', authmethod: 'wampcra', authprovider: 'static' });
    return newToken!;
  };
  const known = async (signIn: CookieSignIn, token: string) => (await signIn.arrive(token, false)).newToken === undefined;

  it('a rebuilt handler with the same store keeps the bound cookies (and takes the new bound and lifetime)', async () => {
    const node = jars();
    const before = await cookieAuth(memory, { allowedOrigins: [] }, node, where, labels, silentLogger);
    const token = await bind(before.signIn);
    const after = await cookieAuth({ ...memory, maxAgeSeconds: 120, maxEntries: 5, name: 'other' }, { allowedOrigins: [] }, node, where, labels, silentLogger);
    await before.close(); // the retired handler lets go once its sessions are gone
    assert.ok(await known(after.signIn, token), 'the cookie still signs in');
    assert.equal(after.signIn.settings.maxAgeMs, 120_000);
    await after.close();
    const again = await cookieAuth(memory, { allowedOrigins: [] }, node, where, labels, silentLogger);
    assert.equal(await known(again.signIn, token), false, 'once no handler holds it, the memory store is gone');
    await again.close();
  });

  it('two paths naming one file share its store, opened once: one bound and one count of evictions; it stays open while one of them holds it', async () => {
    const node = jars();
    const shared = { ...config(join(folder, 'shared.lmdb')), maxEntries: 1 };
    const first = await cookieAuth(shared, { allowedOrigins: [] }, node, where, labels, silentLogger);
    const second = await cookieAuth(shared, { allowedOrigins: [] }, node, 'transport "web" path "/other"', { transport: 'web', path: '/other' }, silentLogger);
    const token = await bind(first.signIn);
    assert.ok(await known(second.signIn, token), 'bound on one path, it signs in on the other');
    const newer = await bind(second.signIn); // max_entries 1: the first cookie makes room
    assert.deepEqual([first.signIn.evicted, second.signIn.evicted], [1, 1], 'one store, so one count');
    await first.close();
    assert.ok(await known(second.signIn, newer), 'the other path\'s store is still open');
    await second.close();
  });

  it('a changed store starts afresh; another path has its own', async () => {
    const node = jars();
    const memoryAuth = await cookieAuth(memory, { allowedOrigins: [] }, node, where, labels, silentLogger);
    const token = await bind(memoryAuth.signIn);
    const other = await cookieAuth(memory, { allowedOrigins: [] }, node, 'transport "web" path "/other"', labels, silentLogger);
    assert.equal(await known(other.signIn, token), false);
    const file = await cookieAuth(config(join(folder, 'reload.lmdb')), { allowedOrigins: [] }, node, where, labels, silentLogger);
    assert.equal(await known(file.signIn, token), false);
    await Promise.all([memoryAuth.close(), other.close(), file.close()]);
  });
});

describe('cookie authentication of a path: a corrupt entry in its file', () => {
  it('reads as absent (the client signs in with its other methods), counted in junction_cookie_store_corrupt_entries_total{store} and warned naming the hash', async () => {
    const path = join(folder, 'corrupt.lmdb');
    const metrics = new MetricsRegistry();
    const log = new CaptureLog();
    const auth = await cookieAuth(config(path), { allowedOrigins: [] }, new CookieJars({ log, metrics, dataDir: folder }), where, labels, log);
    const { visit, newToken } = await auth.signIn.arrive(undefined, false);
    const transport = { type: 'websocket', serializer: 'json', peer: 'tcp4:127.0.0.1:1', extra: withVisit({ path: '/ws' }, visit) };
    auth.signIn.signedIn({ realm: 'realm1', details: {}, transport, sessionId: 1 }, { authid: 'joe', authrole: 'user', authmethod: 'wampcra', authprovider: 'static' });
    assert.equal((await auth.signIn.arrive(newToken!, false)).newToken, undefined, 'the bound cookie signs in');
    // Another program (or a person) rewrites the entry: live, but its binding has no authid string.
    const other = open({ path, noSubdir: false });
    const cookies = other.openDB<unknown, string>({ name: 'cookies' });
    const [key] = [...cookies.getKeys()];
    await cookies.put(key!, { expires: Date.now() + 60_000, binding: { authid: 5, authrole: 'user', authmethod: 'wampcra', realm: 'realm1' } });
    await other.close();
    assert.notEqual((await auth.signIn.arrive(newToken!, false)).newToken, undefined, 'the corrupt entry signs in nobody: a new cookie is offered');
    assert.match(metrics.exposition(), /junction_cookie_store_corrupt_entries_total\{store="web:\/ws"\} 1\n/);
    const warned = log.find('a cookie entry in the cookie file (lmdb) is corrupt: that cookie signs in nobody (its browser signs in with its other methods); every read is counted in junction_cookie_store_corrupt_entries_total');
    assert.deepEqual(warned?.fields, { store: 'web:/ws', key });
    await auth.close();
  });
});
