import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadUrlError, joinRequestUrl, readBaseUrl } from './request-url.js';

const api = readBaseUrl('http://app.test:8000/api/');
const join = (relative: string, params = {}) => joinRequestUrl(api, relative, params).href;

describe('joinRequestUrl', () => {
  it('appends the caller\'s path to the base URL', () => {
    assert.equal(join('users/42'), 'http://app.test:8000/api/users/42');
    assert.equal(join(''), 'http://app.test:8000/api/');
  });

  it('ignores one leading slash: the url is always relative to the base', () => {
    assert.equal(join('/users'), 'http://app.test:8000/api/users');
  });

  it('treats a base URL without a trailing slash as a folder, and "" as the base itself', () => {
    const script = readBaseUrl('http://wiki.test/w/api.php?format=json');
    assert.equal(joinRequestUrl(script, '').href, 'http://wiki.test/w/api.php?format=json');
    assert.equal(joinRequestUrl(script, 'x').href, 'http://wiki.test/w/api.php/x?format=json');
  });

  it('adds params to the query, a list repeating its name, after the url\'s own query', () => {
    assert.equal(join('search?q=a b', { tag: ['x', 'y&z'], page: '2' }), 'http://app.test:8000/api/search?q=a+b&tag=x&tag=y%26z&page=2');
  });

  it('keeps characters that are harmless in a path, percent-encoded', () => {
    assert.equal(join('files/a b;c:d@e'), 'http://app.test:8000/api/files/a%20b;c:d@e');
  });

  const refused: [string, string, RegExp][] = [
    ['..', 'parent folder', /"\.\." path segment/],
    ['users/../../admin', 'dot segments inside', /"\.\." path segment/],
    ['./x', 'a single dot', /"\." path segment/],
    ['%2e%2e/admin', 'encoded dots', /"%2e%2e" path segment/],
    ['.%2E/admin', 'half-encoded dots', /path segment/],
    ['a%2f..%2fb', 'encoded slashes', /encoded slash/],
    ['a%5cb', 'encoded backslash', /encoded slash or backslash/],
    ['..\\admin', 'backslash', /backslash/],
    ['http://evil.test/', 'absolute URL', /absolute/],
    ['HTTPS://evil.test/', 'absolute URL in capitals', /absolute/],
    ['javascript:alert(1)', 'another scheme', /absolute/],
    ['//evil.test/x', 'scheme-relative', /scheme-relative/],
    ['.\n./admin', 'a newline the URL parser would drop', /control character/],
    ['.\t./admin', 'a tab the URL parser would drop', /control character/],
    ['x\u0000y', 'NUL', /control character/],
    ['x#frag', 'a fragment', /fragment/],
    ['bad%zz', 'malformed percent-encoding', /malformed percent-encoding/],
    ['a'.repeat(8193), 'too long', /longer than 8192/],
  ];
  for (const [relative, what, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(() => joinRequestUrl(api, relative), (error: unknown) => error instanceof BadUrlError && message.test(error.message));
    });
  }

  it('never leaves the base, for any combination of separators and dots', () => {
    const pieces = ['..', '.', '%2e', '%2E%2e', '/', '//', 'x', '\\', '%2f', '?', '@', ':'];
    let tried = 0;
    for (const a of pieces) {
      for (const b of pieces) {
        for (const c of pieces) {
          tried += 1;
          try {
            const url = joinRequestUrl(api, a + b + c);
            assert.equal(url.origin, api.origin, a + b + c);
            assert.ok(url.pathname.startsWith('/api/'), `${a + b + c} -> ${url.pathname}`);
          } catch (error) {
            assert.ok(error instanceof BadUrlError, String(error));
          }
        }
      }
    }
    assert.equal(tried, pieces.length ** 3);
  });
});

describe('readBaseUrl', () => {
  it('refuses what is not an http(s) URL, credentials and fragments', () => {
    assert.throws(() => readBaseUrl('app/api'), /not an absolute URL/);
    assert.throws(() => readBaseUrl('ftp://app/'), /not an http: or https: URL/);
    assert.throws(() => readBaseUrl('http://user:secret@app/'), /must not carry a user name or password/);
    assert.throws(() => readBaseUrl('http://app/#x'), /fragment/);
  });
});
