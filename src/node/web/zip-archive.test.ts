import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeZip, zipWriterMissing } from '../../../test/support/zip.js';
import { sha256OfFd } from './archive-download.js';
import { archiveLimits, ArchiveRefusedError, openArchiveFile, ZipArchive, type ArchiveLimits, type ArchiveRefusal } from './zip-archive.js';

const openZip = async (path: string, limits?: ArchiveLimits): Promise<ZipArchive> => ZipArchive.fromFd(await openArchiveFile(path), limits);

async function text(archive: ZipArchive, name: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await archive.read(archive.file(name)!)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('ZipArchive', { skip: zipWriterMissing() }, () => {
  let base: string;
  let count = 0;
  const zipOf = (entries: Parameters<typeof writeZip>[1]): string => {
    const path = join(base, `${++count}.zip`);
    writeZip(path, entries);
    return path;
  };
  const refused = async (path: string, reason: ArchiveRefusal, message: RegExp, limits: ArchiveLimits = archiveLimits): Promise<void> => {
    await assert.rejects(openZip(path, limits), (error: unknown) => {
      assert.ok(error instanceof ArchiveRefusedError, String(error));
      assert.equal(error.reason, reason);
      assert.match(error.message, message);
      return true;
    });
  };

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'junction-zip-'));
  });
  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('lists files and the folders above them, and reads files stored or deflated', async () => {
    const archive = await openZip(zipOf([
      { name: 'index.html', data: '<h1>home</h1>' },
      { name: 'app/js/main.js', data: 'main()', stored: true },
      { name: 'empty/', data: '' },
    ]));
    try {
      assert.equal(archive.fileCount, 2);
      assert.equal(await text(archive, 'index.html'), '<h1>home</h1>');
      assert.equal(await text(archive, 'app/js/main.js'), 'main()');
      for (const folder of ['', 'app', 'app/js', 'empty']) assert.ok(archive.isFolder(folder), folder);
      assert.equal(archive.isFolder('index.html'), false);
      assert.equal(archive.file('app'), undefined);
    } finally {
      archive.close();
    }
  });

  it('refuses names that climb out, are absolute, or appear twice', async () => {
    await refused(zipOf([{ name: 'ok.txt', data: 'ok' }, { name: '../evil.txt', data: 'x' }]), 'unsafe_name', /leads outside the archive.*\.\.\/evil\.txt/);
    await refused(zipOf([{ name: 'a/../../evil.txt', data: 'x' }]), 'unsafe_name', /leads outside the archive/);
    await refused(zipOf([{ name: '/etc/evil', data: 'x' }]), 'unsafe_name', /absolute path/);
    await refused(zipOf([{ name: '..\\evil.txt', data: 'x' }]), 'unsafe_name', /leads outside the archive/);
    await refused(zipOf([{ name: 'a.txt', data: 'one' }, { name: 'a.txt', data: 'two' }]), 'unsafe_name', /"a.txt" appears twice/);
  });

  it('takes a Windows backslash as a folder separator', async () => {
    const archive = await openZip(zipOf([{ name: 'css\\app.css', data: 'body{}' }]));
    try {
      assert.equal(await text(archive, 'css/app.css'), 'body{}');
    } finally {
      archive.close();
    }
  });

  it('refuses a zip bomb: a file that expands too much, too many bytes, too many entries', async () => {
    const zeros = Buffer.alloc(2 * 1024 * 1024);
    await refused(zipOf([{ name: 'bomb.bin', data: zeros }]), 'over_limit', /"bomb.bin" expands \d+ times, more than the 200 allowed/);
    const small = { ...archiveLimits, maxCompressionRatio: 1_000_000 };
    await refused(zipOf([{ name: 'a.bin', data: zeros }]), 'over_limit', /"a.bin" has 2097152 bytes uncompressed, more than the 1048576 allowed/, { ...small, maxEntryBytes: 1024 * 1024 });
    await refused(zipOf([{ name: 'a.bin', data: zeros }, { name: 'b.bin', data: zeros }]), 'over_limit', /more than 3000000 bytes uncompressed/, { ...small, maxTotalBytes: 3_000_000 });
    await refused(zipOf([{ name: 'a', data: '1' }, { name: 'b', data: '2' }, { name: 'c', data: '3' }]), 'over_limit', /3 entries, more than the 2 allowed/, { ...small, maxEntries: 2 });
    const path = zipOf([{ name: 'a', data: 'abc' }]);
    await refused(path, 'over_limit', /more than the 10 allowed/, { ...small, maxArchiveBytes: 10 });
  });

  it('refuses a file that is not a ZIP archive, and one whose data is damaged', async () => {
    const garbage = join(base, 'garbage.zip');
    await writeFile(garbage, 'this is not a zip archive at all, just text');
    await refused(garbage, 'corrupt', /not a readable ZIP file/);

    const path = zipOf([{ name: 'page.html', data: 'UNIQUE-CONTENT-MARKER', stored: true }]);
    const bytes = await readFile(path);
    const at = bytes.indexOf('UNIQUE-CONTENT-MARKER');
    bytes[at] = 'X'.charCodeAt(0);
    await writeFile(path, bytes);
    await refused(path, 'corrupt', /"page.html" is damaged \(its CRC-32 does not match\)/);
  });

  it('hashes and serves the one file it opened: an archive put in its place meanwhile is neither', async () => {
    const path = zipOf([{ name: 'page.html', data: 'the checked one' }]);
    const checked = createHash('sha256').update(await readFile(path)).digest('hex');
    const fd = await openArchiveFile(path);
    await rename(zipOf([{ name: 'page.html', data: 'the swapped one' }]), path);
    assert.equal(await sha256OfFd(fd), checked);
    assert.equal(await sha256OfFd(fd), checked, 'from the start again: the descriptor stays usable');
    const archive = await ZipArchive.fromFd(fd);
    try {
      assert.equal(await text(archive, 'page.html'), 'the checked one');
    } finally {
      archive.close();
    }
  });

  it('closes the descriptor it was given when it refuses the archive, and at close', async () => {
    const descriptors = () => readdirSync('/proc/self/fd').length;
    const garbage = join(base, 'garbage-fd.zip');
    await writeFile(garbage, 'not a zip');
    const before = descriptors();
    for (let i = 0; i < 5; i++) await assert.rejects(openZip(garbage));
    await refused(zipOf([{ name: 'a', data: 'abc' }]), 'over_limit', /more than the 10 allowed/, { ...archiveLimits, maxArchiveBytes: 10 });
    (await openZip(zipOf([{ name: 'a', data: 'abc' }]))).close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(descriptors(), before);
  });
});
