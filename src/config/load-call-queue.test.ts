import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, problemsOf } from './test-support.js';

/** A document whose realm1 has this `store`. */
function withStore(store: unknown): Record<string, unknown> {
  return configDocument({
    realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true } }] }], store }],
  });
}

describe('realm store call-queue (Crossbar\'s call queues)', () => {
  it('reads Crossbar\'s keys and limit_bytes; an entry without a limit takes the store\'s, match defaults to exact', () => {
    const config = loadDocument(withStore({
      type: 'memory', limit: 40, limit_bytes: 5000,
      'call-queue': [{ uri: 'com.example.compute', match: 'exact', limit: 1000 }, { uri: 'com.jobs.', match: 'prefix', limit_bytes: 900 }, { uri: 'com.other' }],
    }));
    assert.deepEqual(config.realms[0]!.store.callQueue, [
      { uri: 'com.example.compute', match: 'exact', limit: 1000, limitBytes: 5000 },
      { uri: 'com.jobs.', match: 'prefix', limit: 40, limitBytes: 900 },
      { uri: 'com.other', match: 'exact', limit: 40, limitBytes: 5000 },
    ]);
  });

  it('refuses bad entries, each with its place', () => {
    assert.deepEqual(problemsOf(withStore({
      'call-queue': [{ uri: 'a..b' }, { uri: 'a.b', match: 'glob' }, { uri: 'a.b', limit: 0 }, { uri: 'a.b', size: 3 }, { match: 'exact' }],
    })), [
      'workers[0].realms[0].store["call-queue"][0].uri: "a..b" is not a valid URI for exact matching: components must be non-empty and contain no whitespace, "." or "#"',
      'workers[0].realms[0].store["call-queue"][1].match: expected "exact" or "prefix" or "wildcard"',
      'workers[0].realms[0].store["call-queue"][2].limit: expected a positive integer',
      'workers[0].realms[0].store["call-queue"][3].size: unknown key "size"',
      'workers[0].realms[0].store["call-queue"][4].uri: missing (expected string)',
    ]);
  });
});
