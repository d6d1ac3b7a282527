import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ArchiveService } from '../../src/config/model.js';
import { StartupError } from '../../src/node/startup-errors.js';
import { assertSpecificAnswer, checkFuzz, exchange, fuzzedHeaderValue, fuzzedPathPart, fuzzedWebPaths, fuzzSeed, fuzzTimeout } from '../support/fuzz.js';
import { startTestNode, testConfig } from '../support/node.js';
import { openDescriptors } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { writeZip, zipWriterMissing, type ZipEntrySpec } from '../support/zip.js';

/**
 * Hostile input against an `archive` path (node/web/archive-path.ts, zip-archive.ts): fuzzed
 * request paths (encoded traversal, NULs, broken escapes, hidden names) and headers (ranges,
 * validators) against a served archive, clients leaving mid-download, and hostile archives at
 * start: truncated, not a ZIP, names that climb out, sizes and entry counts that lie. A file is
 * served whole and exact or refused with a specific 4xx; a hostile archive stops the start with
 * archive_unusable; no descriptor is left open.
 */

const big = Buffer.alloc(2 * 1024 * 1024, 7);
const files: ZipEntrySpec[] = [
  { name: 'index.html', data: '<h1>home</h1>' },
  { name: 'a b.txt', data: 'spaced' },
  { name: 'ü.txt', data: 'unicode' },
  { name: '%41.txt', data: 'a literal percent' },
  { name: 'dir/inner.txt', data: 'inner' },
  { name: '.env', data: 'SECRET=1' },
  { name: 'dir/.git/config', data: 'SECRET=2' },
  { name: 'big.bin', data: big, stored: true },
];
const served = new Map(files.filter((file) => !file.name.split('/').some((part) => part.startsWith('.'))).map((file) => [file.name, Buffer.from(file.data)]));

const requestPath = fc.oneof(
  fc.constantFrom(...files.map((file) => file.name.split('/').map(encodeURIComponent).join('/'))),
  fc.constantFrom('..', '%2e%2e', '%2e%2e%2f.env', 'dir/..%2f.env', 'dir/%2e%2e/.env', '.env', '.%65nv', 'dir/.git/config', 'dir%2finner.txt', 'dir\\inner.txt',
    'index.html%00.txt', '%00', '%', '%zz', '%c0%ae%c0%ae/.env', 'dir//inner.txt', 'dir/', 'dir', '', 'big.bin/', 'index.html/x'),
  fc.array(fuzzedPathPart, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
);
const requestHeaders = fc.dictionary(fc.constantFrom('range', 'if-none-match', 'if-modified-since', 'accept-encoding', 'if-range'),
  fc.oneof(fuzzedHeaderValue, fc.constantFrom('bytes=0-1', 'bytes=-5', 'bytes=99999999-', 'bytes=1-0,2-3', '*', '"x"', 'Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT', 'gzip')), { maxKeys: 3 });

function archiveService(archive: string, overrides: Partial<ArchiveService> = {}): ArchiveService {
  return { type: 'archive', archive, download: false, hashes: [], mimeTypes: {}, defaultObject: 'index.html', ...overrides };
}

describe(`archive path under hostile requests and hostile archives (seed ${fuzzSeed})`, { skip: zipWriterMissing() }, () => {
  const web = fuzzedWebPaths('junction-archive-fuzz-', () => {
    writeZip(good, files);
    return { '/app': archiveService(good) };
  });
  const good = join(web.home, 'good.zip');

  async function archiveWorks(what: string): Promise<void> {
    const answer = await exchange(web.port, { method: 'GET', path: '/app/dir/inner.txt' });
    assert.equal(answer.status, 200, `the archive ${what}`);
    assert.equal(answer.body.toString(), 'inner');
    await web.fuzzed.bystander.works(what);
  }

  it('fuzzed paths and headers: a file whole and exact (or 304), a redirect to a folder, or a specific 4xx; hidden names never', { timeout: fuzzTimeout(90_000) }, async () => {
    await archiveWorks('before the fuzzing');
    await checkFuzz('archive', fc.asyncProperty(fc.constantFrom('GET', 'GET', 'HEAD', 'POST', 'PUT', 'OPTIONS', 'DELETE'), requestPath, requestHeaders, async (method, path, headers) => {
      const sent = { method, path: `/app/${path}`, headers };
      const answer = await exchange(web.port, sent);
      const what = `${method} ${sent.path.slice(0, 120)} ${JSON.stringify(headers)} -> ${answer.status} ${answer.body.toString().slice(0, 120)}`;
      assertSpecificAnswer(answer, sent);
      assert.ok(!answer.body.toString().includes('SECRET'), `a hidden file served: ${what}`);
      if (answer.status === 200 && method === 'GET') {
        assert.ok([...served.values()].some((bytes) => bytes.equals(answer.body)), `not a file of the archive, whole: ${what}`);
        assert.equal(Number(answer.headers['content-length']), answer.body.length, what);
      }
      assert.ok([200, 301, 302, 304, 307, 308].includes(answer.status) || answer.status >= 400, what);
      web.fuzzed.watch.assertQuiet('fuzzed archive requests');
    }), 150);
    await archiveWorks('after the fuzzing');
    web.fuzzed.watch.assertQuiet('the archive fuzzing');
  });

  it('clients that leave mid-download, many at once: every descriptor given back, the archive still served', { timeout: 30_000 }, async () => {
    const descriptors = openDescriptors();
    await Promise.all(Array.from({ length: 20 }, (_, index) => new Promise<void>((resolve, reject) => {
      const socket = connect(web.port, '127.0.0.1', () => socket.write('GET /app/big.bin HTTP/1.1\r\nHost: x\r\n\r\n'));
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 1000 * (index + 1)) socket.destroy();
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    })));
    await waitFor(() => openDescriptors() <= descriptors, `the descriptors of the downloads to be closed (${descriptors} before, ${openDescriptors()} now)`, 10_000);
    const whole = await exchange(web.port, { method: 'GET', path: '/app/big.bin' });
    assert.ok(whole.body.equals(big), 'the big file, whole, after the clients left');
    await archiveWorks('after the downloads were cut');
    web.fuzzed.watch.assertQuiet('the cut downloads');
  });

  /** Hostile archives: each written by `make` at a path of its own. */
  const hostile: Record<string, (path: string) => void> = {
    'truncated': (path) => writeFileSync(path, readFileSync(good).subarray(0, Math.floor(readFileSync(good).length / 2))),
    'truncated central directory': (path) => writeFileSync(path, readFileSync(good).subarray(0, readFileSync(good).length - 30)),
    'not a zip': (path) => writeFileSync(path, 'PK\u0003\u0004 but nothing else'),
    'empty file': (path) => writeFileSync(path, ''),
    'climbing name': (path) => writeZip(path, [{ name: 'index.html', data: 'x' }, { name: '../../outside.txt', data: 'x' }]),
    'absolute name': (path) => writeZip(path, [{ name: '/etc/passwd', data: 'x' }]),
    'drive name': (path) => writeZip(path, [{ name: 'C:/windows/x.txt', data: 'x' }]),
    'name twice': (path) => writeZip(path, [{ name: 'a.txt', data: 'x' }, { name: 'a.txt', data: 'y' }]),
    'entry count that lies': (path) => writeFileSync(path, patchEndRecord(readFileSync(good), 60_000)),
    'entry size that lies': (path) => writeFileSync(path, patchSizes(readFileSync(good), 'big.bin', big.length + 1000)),
    'huge entry size claimed': (path) => writeFileSync(path, patchSizes(readFileSync(good), 'big.bin', 0xfffffff0)),
    'zip bomb': (path) => writeZip(path, [{ name: 'zeros.bin', data: Buffer.alloc(8 * 1024 * 1024) }]),
  };

  it('a hostile archive stops the start with archive_unusable, naming why, and leaves no descriptor open', { timeout: 60_000 }, async () => {
    const descriptors = openDescriptors();
    for (const [kind, make] of Object.entries(hostile)) {
      const path = join(web.home, `${kind.replaceAll(' ', '-')}.zip`);
      make(path);
      const config = testConfig();
      config.listeners[0]!.paths['/app'] = archiveService(path);
      const started = await startTestNode(config).then((node) => node.stop().then(() => undefined), (error: unknown) => error);
      assert.ok(started instanceof StartupError, `${kind}: ${started === undefined ? 'the node started' : String(started)}`);
      assert.equal(started.code, 'archive_unusable', `${kind}: ${started.message}`);
      assert.match(started.message, /the archive .* (is refused|cannot be read)/, kind);
    }
    await waitFor(() => openDescriptors() <= descriptors, `the descriptors of the refused archives to be closed (${descriptors} before, ${openDescriptors()} now)`, 10_000);
    await archiveWorks('after the refused archives');
  });
});

/** The archive with its end-of-central-directory record claiming `entries` entries. */
function patchEndRecord(zip: Buffer, entries: number): Buffer {
  const copy = Buffer.from(zip);
  const end = copy.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  copy.writeUInt16LE(entries, end + 8);
  copy.writeUInt16LE(entries, end + 10);
  return copy;
}

/** The archive with `name`'s central-directory record claiming `size` bytes uncompressed (and compressed, as it is stored). */
function patchSizes(zip: Buffer, name: string, size: number): Buffer {
  const copy = Buffer.from(zip);
  const record = copy.indexOf(Buffer.concat([Buffer.from([0x50, 0x4b, 0x01, 0x02])]), copy.lastIndexOf(Buffer.from(name)) - 46);
  assert.ok(record >= 0 && copy.subarray(record + 46, record + 46 + name.length).toString() === name, `no central record of ${name}`);
  copy.writeUInt32LE(size, record + 20);
  copy.writeUInt32LE(size, record + 24);
  return copy;
}
