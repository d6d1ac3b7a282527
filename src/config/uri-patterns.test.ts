import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPattern, resolvePermissionUri } from './uri-patterns.js';

describe("Crossbar's star convention", () => {
  const cases: [string, string, string][] = [
    ['com.example.proc', 'com.example.proc', 'exact'],
    ['com.example.*', 'com.example.', 'prefix'],
    ['com.ex*', 'com.ex', 'prefix'],
    ['*', '', 'prefix'],
    ['com.*.update', 'com..update', 'wildcard'],
    ['*.update', '.update', 'wildcard'],
    ['com.*.*', 'com..', 'wildcard'],
  ];
  for (const [written, uri, match] of cases) {
    it(`"${written}" is ${match} "${uri}"`, () => {
      assert.deepEqual(resolvePermissionUri(written, undefined), { ok: true, uri, match });
    });
  }

  it('refuses a star inside a component', () => {
    assert.deepEqual(resolvePermissionUri('com.ex*ple.*', undefined), {
      ok: false,
      problem: '"com.ex*ple.*": a "*" must be a whole URI component (as in "com.*.update") or the last character (as in "com.example.*")',
    });
  });

  it('takes the URI literally when match is given, and refuses stars then', () => {
    assert.deepEqual(resolvePermissionUri('com..update', 'wildcard'), { ok: true, uri: 'com..update', match: 'wildcard' });
    assert.deepEqual(resolvePermissionUri('', 'prefix'), { ok: true, uri: '', match: 'prefix' });
    assert.equal(resolvePermissionUri('com.*', 'prefix').ok, false);
  });
});

describe('checkPattern', () => {
  it('an exact URI needs non-empty components', () => {
    assert.equal(checkPattern('com..x', 'exact').ok, false);
    assert.equal(checkPattern('', 'exact').ok, false);
    assert.equal(checkPattern('Com.Example-1', 'exact').ok, true);
  });

  it('no pattern may contain whitespace or "#"', () => {
    assert.equal(checkPattern('com.a b', 'prefix').ok, false);
    assert.equal(checkPattern('com.#', 'wildcard').ok, false);
  });
});
