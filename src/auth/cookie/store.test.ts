import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { silentLogger } from '../../router/log.js';
import { FileCookieStore } from './file-store.js';
import { MemoryCookieStore, parseCookieEntry, type CookieEntry, type LocalCookieStore } from './store.js';
import { looksLikeToken, minTokenLength, newToken, tokenKey } from './token.js';

const folder = mkdtempSync(join(tmpdir(), 'junction-cookie-store-'));
after(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;

const binding = (authid: string) => ({ authid, authrole: 'user', authmethod: 'wampcra', realm: 'realm1' });
const entry = (authid: string, expires: number): CookieEntry => ({ expires, binding: binding(authid) });

/** lmdb writes commit in a later turn: reads wait for them. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 50));

const stores: Record<string, (maxEntries: number, onEvicted?: () => void) => LocalCookieStore> = {
  memory: (maxEntries, onEvicted) => new MemoryCookieStore(maxEntries, onEvicted),
  file: (maxEntries, onEvicted) => new FileCookieStore(join(folder, `store-${++files}`), maxEntries, silentLogger, onEvicted),
};

for (const [kind, make] of Object.entries(stores)) {
  describe(`${kind} cookie store`, () => {
    it('keeps an entry until it expires, then reads it as absent and forgets it', async () => {
      const store = make(10);
      store.put('k1', entry('joe', 1_000), 0);
      await settled();
      assert.deepEqual(store.get('k1', 999)?.binding, binding('joe'));
      assert.equal(store.get('k1', 1_000), undefined);
      await settled();
      assert.equal(store.size, 0);
      await store.close();
    });

    it('a put replaces the entry under the same key (a new sign-in on the same cookie)', async () => {
      const store = make(10);
      store.put('k1', entry('joe', 1_000), 0);
      store.put('k1', entry('ann', 1_000), 1);
      await settled();
      assert.equal(store.get('k1', 2)?.binding.authid, 'ann');
      assert.equal(store.size, 1);
      await store.close();
    });

    it('forget removes the entry (logout)', async () => {
      const store = make(10);
      store.put('k1', entry('joe', 1_000), 0);
      await settled();
      store.forget('k1');
      await settled();
      assert.equal(store.get('k1', 1), undefined);
      await store.close();
    });

    it('at max_entries drops expired entries first, then the oldest live one, counting only live ones as evicted', async () => {
      let told = 0;
      const store = make(2, () => told++);
      store.put('old', entry('a', 100), 0);
      store.put('mid', entry('b', 500), 1);
      await settled();
      // At 200 "old" has expired: it makes room without an eviction.
      store.put('new1', entry('c', 700), 200);
      await settled();
      assert.equal(store.evicted, 0);
      assert.equal(store.get('mid', 201)?.binding.authid, 'b');
      // Full with two live entries: the oldest ("mid") goes, counted.
      store.put('new2', entry('d', 800), 300);
      await settled();
      assert.equal(store.evicted, 1);
      assert.equal(told, 1);
      assert.equal(store.size, 2);
      assert.equal(store.get('mid', 301), undefined);
      assert.equal(store.get('new1', 301)?.binding.authid, 'c');
      assert.equal(store.get('new2', 301)?.binding.authid, 'd');
      await store.close();
    });
  });
}

describe('file cookie store', () => {
  it('keeps its entries across a restart, and a second process view (another open) sees the first one\'s writes', async () => {
    const path = join(folder, 'shared');
    const first = new FileCookieStore(path, 10, silentLogger);
    const second = new FileCookieStore(path, 10, silentLogger);
    first.put('k1', entry('joe', 10_000), 0);
    await settled();
    assert.equal(second.get('k1', 1)?.binding.authid, 'joe');
    await first.close();
    await second.close();
    const reopened = new FileCookieStore(path, 10, silentLogger);
    assert.equal(reopened.get('k1', 1)?.binding.authid, 'joe');
    await reopened.close();
  });

  it('holds hashes, never tokens: the file does not contain the cookie value', async () => {
    const path = join(folder, 'hashed');
    const store = new FileCookieStore(path, 10, silentLogger);
    const token = newToken(24);
    store.put(tokenKey(token), entry('joe', 10_000), 0);
    await settled();
    await store.close();
    for (const file of readdirSync(path)) assert.ok(!readFileSync(join(path, file)).includes(token), `${file} holds the token`);
  });
});

describe('a cookie entry read back from its JSON (a shared store)', () => {
  it('is the entry when it is one, with or without authextra', () => {
    const plain = entry('joe', 10_000);
    assert.deepEqual(parseCookieEntry(JSON.stringify(plain)), plain);
    const extra = { expires: 5, binding: { ...binding('ann'), authextra: { team: 'x' } } };
    assert.deepEqual(parseCookieEntry(JSON.stringify(extra)), extra);
  });

  it('is undefined for anything else: unparseable, not an object, no expiry, a binding missing a string or with a bad authextra', () => {
    for (const text of ['{"expires": 9', '"text"', '[]', JSON.stringify({ binding: binding('joe') }), JSON.stringify({ expires: 'soon', binding: binding('joe') }),
      JSON.stringify({ expires: 5 }), JSON.stringify({ expires: 5, binding: { ...binding('joe'), realm: undefined } }),
      JSON.stringify({ expires: 5, binding: { ...binding('joe'), authrole: 3 } }), JSON.stringify({ expires: 5, binding: { ...binding('joe'), authextra: [1] } })]) {
      assert.equal(parseCookieEntry(text), undefined, text);
    }
  });
});

describe('cookie tokens', () => {
  it('are random base64url of at least 22 characters (132 bits), whatever the configured length', () => {
    assert.equal(newToken(6).length, minTokenLength);
    assert.equal(newToken(40).length, 40);
    assert.notEqual(newToken(24), newToken(24));
    assert.ok(looksLikeToken(newToken(24)));
  });

  it('anything else is not looked up (short, long, other characters)', () => {
    assert.equal(looksLikeToken('abc'), false);
    assert.equal(looksLikeToken('x'.repeat(65)), false);
    assert.equal(looksLikeToken(`${'a'.repeat(30)};drop`), false);
  });

  it('are stored under their SHA-256, which does not reveal them', () => {
    const token = newToken(24);
    assert.equal(tokenKey(token), tokenKey(token));
    assert.notEqual(tokenKey(token), token);
    assert.equal(tokenKey(token).length, 43);
  });
});
