import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, problemsOf, realmWithRoles, testBaseDir } from './test-support.js';

/** A document whose realm1 has this `store` block. */
function withStore(store: unknown): Record<string, unknown> {
  return configDocument({ realms: [{ ...realmWithRoles('realm1', ['anonymous']), store }] });
}

const history = [{ uri: 'com.example.', match: 'prefix' }];

describe('realm store', () => {
  it('"cfxdb" with Crossbar FX\'s keys: its lmdb store at <path>.lmdb beside the config (with a notice), Crossbar\'s defaults for the keys not given', () => {
    const config = loadDocument(withStore({ type: 'cfxdb', path: '.realm1db', maxsize: 1073741824, 'buffer-flush': 250, 'event-history': history }));
    const store = config.realms[0]!.store;
    assert.deepEqual(store.file, {
      path: join(testBaseDir, '.realm1db.lmdb'), maxBytes: 1073741824, readonly: false, sync: true, bufferFlushMs: 250, maxBuffer: 10_000,
    });
    assert.deepEqual(store.eventHistory, [{ uri: 'com.example.', match: 'prefix', limit: 100, limitBytes: 4 * 1024 * 1024 }]);
    assert.ok(config.notices.some((line) => line.includes('workers[0].realms[0].store.path') && line.includes("Crossbar's database at")), config.notices.join('\n'));
    const defaults = loadDocument(withStore({ type: 'cfxdb', path: '/var/lib/db', readonly: true, sync: false, 'max-buffer': 5 })).realms[0]!.store.file;
    assert.deepEqual(defaults, { path: '/var/lib/db.lmdb', maxBytes: 128 * 1024 * 1024, readonly: true, sync: false, bufferFlushMs: 200, maxBuffer: 5 });
  });

  it('"memory" keeps the history in memory only', () => {
    assert.equal(loadDocument(withStore({ type: 'memory', 'event-history': history })).realms[0]!.store.file, undefined);
  });

  it('refuses a cfxdb store without path, a maxsize outside Crossbar\'s bounds, cfxdb keys on a memory store, unknown keys and types', () => {
    assert.deepEqual(problemsOf(withStore({ type: 'cfxdb' })), ['workers[0].realms[0].store.path: a "cfxdb" store needs "path" (its database folder)']);
    assert.deepEqual(problemsOf(withStore({ type: 'cfxdb', path: 'db', maxsize: 1024 })), ['workers[0].realms[0].store.maxsize: expected at least 131072 (128 KiB)']);
    assert.deepEqual(problemsOf(withStore({ type: 'cfxdb', path: 'db', maxsize: 2 ** 40 })), ['workers[0].realms[0].store.maxsize: expected at most 137438953472 (128 GiB)']);
    assert.deepEqual(problemsOf(withStore({ type: 'memory', path: 'db', 'buffer-flush': 10 })), [
      'workers[0].realms[0].store.path: "path" belongs to a "cfxdb" store; this store is "memory"',
      'workers[0].realms[0].store["buffer-flush"]: "buffer-flush" belongs to a "cfxdb" store; this store is "memory"',
    ]);
    assert.match(problemsOf(withStore({ type: 'cfxdb', path: 'db', maxsze: 10 }))[0]!, /^workers\[0\]\.realms\[0\]\.store\.maxsze: unknown key "maxsze"/);
    assert.match(problemsOf(withStore({ type: 'zlmdb', path: 'db' }))[0]!, /^workers\[0\]\.realms\[0\]\.store\.type: expected "memory" or "cfxdb"/);
  });
});
