import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BadPathError, fileSegments, resolveInside } from './static-resolve.js';

describe('fileSegments', () => {
  it('splits and decodes percent-escapes once', () => {
    assert.deepEqual(fileSegments(''), []);
    assert.deepEqual(fileSegments('/css/a%20b.css'), ['css', 'a b.css']);
    assert.deepEqual(fileSegments('/%C3%A9t%C3%A9.txt'), ['été.txt']);
    // Decoded once only: a double-encoded ".." is a file literally named "%2e%2e".
    assert.deepEqual(fileSegments('/%252e%252e/x'), ['%2e%2e', 'x']);
    assert.deepEqual(fileSegments('/..a/b..'), ['..a', 'b..']);
  });

  for (const [name, subpath] of [
    ['plain ..', '/../etc/passwd'],
    ['..', '/a/../../b'],
    ['.', '/./a'],
    ['encoded ..', '/%2e%2e/etc/passwd'],
    ['mixed-case encoded ..', '/%2E%2e/x'],
    ['encoded slash', '/..%2Fetc%2Fpasswd'],
    ['encoded slash in a name', '/docs%2freadme.txt'],
    ['backslash', '/..\\..\\etc'],
    ['encoded backslash', '/..%5C..%5Cetc'],
    ['encoded NUL', '/readme.txt%00.html'],
    ['broken escape', '/%E0%A4%A'],
    ['lone percent', '/100%'],
  ] as const) {
    it(`refuses ${name}`, () => {
      assert.throws(() => fileSegments(subpath), BadPathError);
    });
  }
});

describe('resolveInside', () => {
  let base: string;
  let root: string;
  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'junction-resolve-')));
    root = join(base, 'root');
    await mkdir(join(root, 'sub'), { recursive: true });
    await mkdir(join(base, 'root-sibling'));
    await writeFile(join(root, 'sub', 'a.txt'), 'a');
    await writeFile(join(base, 'secret.txt'), 'secret');
    await writeFile(join(base, 'root-sibling', 'x.txt'), 'x');
    await symlink(join(base, 'secret.txt'), join(root, 'out-file'));
    await symlink(base, join(root, 'out-dir'));
    // Same prefix as the root ("root" vs "root-sibling"): a string prefix check alone would pass it.
    await symlink(join(base, 'root-sibling'), join(root, 'sibling'));
    await symlink(join(root, 'sub', 'a.txt'), join(root, 'in-link'));
    await symlink(join(root, 'loop'), join(root, 'loop'));
  });
  after(() => rm(base, { recursive: true, force: true }));

  it('resolves files and folders inside the root, symlinks that stay inside included', async () => {
    assert.deepEqual(await resolveInside(root, []), { kind: 'inside', path: root });
    assert.deepEqual(await resolveInside(root, ['sub', 'a.txt']), { kind: 'inside', path: join(root, 'sub', 'a.txt') });
    assert.deepEqual(await resolveInside(root, ['in-link']), { kind: 'inside', path: join(root, 'sub', 'a.txt') });
  });

  it('refuses symlinks that lead out of the root', async () => {
    assert.deepEqual(await resolveInside(root, ['out-file']), { kind: 'outside' });
    assert.deepEqual(await resolveInside(root, ['out-dir', 'secret.txt']), { kind: 'outside' });
    assert.deepEqual(await resolveInside(root, ['sibling', 'x.txt']), { kind: 'outside' });
  });

  it('reports missing files, files used as folders and symlink loops as missing', async () => {
    assert.deepEqual(await resolveInside(root, ['nope.txt']), { kind: 'missing' });
    assert.deepEqual(await resolveInside(root, ['sub', 'a.txt', 'more']), { kind: 'missing' });
    assert.deepEqual(await resolveInside(root, ['loop']), { kind: 'missing' });
  });
});
