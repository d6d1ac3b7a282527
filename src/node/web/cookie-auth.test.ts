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

const folder = mkdtempSync(join(tmpdir(), 'junction-cookie-auth-'));
after(() => rmSync(folder, { recursive: true, force: true }));

const config = (path: string): CookieAuthConfig => ({
  name: 'cbtid', length: 24, maxAgeSeconds: 60, store: { type: 'file', path, crossbarFile: path.replace(/\.lmdb$/, '') }, maxEntries: 10, sameSite: 'Lax', alwaysSecure: false,
});
const labels = { transport: 'web', path: '/ws' };

describe('cookie authentication of a path: its store', () => {
  it('a file store makes its lmdb folder beside the config', async () => {
    const path = join(folder, 'cookies.dat.lmdb');
    const opened = cookieAuth(config(path), { allowedOrigins: [] }, labels, new MetricsRegistry(), silentLogger, undefined);
    assert.ok(statSync(path).isDirectory());
    await opened.close();
  });

  it('a folder that cannot be made fails start-up at once with cookie_store_unusable, naming it (lmdb itself would retry forever under /proc)', () => {
    assert.throws(() => cookieAuth(config('/proc/junction-none/cookies.dat.lmdb'), { allowedOrigins: [] }, labels, new MetricsRegistry(), silentLogger, undefined),
      (error: unknown) => error instanceof StartupError && error.code === 'cookie_store_unusable' && error.message.includes('/proc/junction-none/cookies.dat.lmdb'));
  });

  it('with --workers, the memory store is an lmdb folder under the data folder, made with its parents', async () => {
    const shared = join(folder, 'data', 'worker-cookies', 'transport_web_path_ws');
    const memory = { ...config(''), store: { type: 'memory' as const } };
    const opened = cookieAuth(memory, { allowedOrigins: [] }, labels, new MetricsRegistry(), silentLogger, shared);
    assert.ok(statSync(shared).isDirectory());
    await opened.close();
  });
});
