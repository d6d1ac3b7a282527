import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { HistoryFileConfig, RealmConfig } from '../../config/model.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { silentLogger } from '../../router/log.js';
import { StartupError } from '../startup-errors.js';
import { HistoryStores } from './history-stores.js';

const folder = mkdtempSync(join(tmpdir(), 'junction-history-stores-'));
after(() => rmSync(folder, { recursive: true, force: true }));

function realm(name: string, file?: Partial<HistoryFileConfig> & { path: string }): RealmConfig {
  return {
    name, roles: [], options: {} as RealmConfig['options'],
    store: { eventHistory: [], callQueue: [], ...(file && { file: { maxBytes: 1 << 20, readonly: false, sync: true, bufferFlushMs: 200, maxBuffer: 100, ...file } }) },
  };
}

const refusal = (code: string, message: RegExp) => (error: unknown) => error instanceof StartupError && error.code === code && message.test(error.message);

describe('history stores of a node', () => {
  it('opens a realm\'s file once (a reload may ask again), none for a memory store, and refuses a second realm on the same folder', async () => {
    const stores = new HistoryStores(silentLogger, new MetricsRegistry());
    const path = join(folder, 'one.lmdb');
    assert.equal(await stores.forRealm(realm('memory')), undefined);
    const first = await stores.forRealm(realm('realm1', { path }));
    assert.ok(first);
    assert.equal(await stores.forRealm(realm('realm1', { path })), first);
    await assert.rejects(stores.forRealm(realm('realm2', { path })), refusal('history_store_unusable', /realms "realm1" and "realm2" both keep their event history at .*one\.lmdb/));
    await stores.close();
  });

  it('refuses at start a folder that cannot be made, and a read-only store that does not exist, saying why', async () => {
    const stores = new HistoryStores(silentLogger, new MetricsRegistry());
    await assert.rejects(stores.forRealm(realm('realm1', { path: join(folder, 'missing', 'db.lmdb') })),
      refusal('history_store_unusable', /realm "realm1" at .*db\.lmdb: its parent folder does not exist/));
    await assert.rejects(stores.forRealm(realm('realm1', { path: join(folder, 'never-written.lmdb'), readonly: true })),
      refusal('history_store_unusable', /a "readonly" store must exist already/));
    await stores.close();
  });
});
