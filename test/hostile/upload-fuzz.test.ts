import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { UploadService } from '../../src/config/model.js';
import { assertSpecificAnswer, checkFuzz, exchange, exchangeOrCut, fuzzedWebPaths, fuzzSeed, fuzzTimeout, gauges, type FuzzRequest } from '../support/fuzz.js';
import { openDescriptors } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * Hostile input against an `upload` path (node/web/upload/): resumable.js chunks whose numbers,
 * sizes and counts are out of range or disagree with each other and with the bytes sent, file
 * names that climb out of the folder, hide a NUL or are far too long, many uploads at once, and
 * clients that leave mid-chunk. Every answer is a stored chunk or a specific 4xx; nothing is
 * written outside the two folders; a finished file is exactly its announced size; the temporary
 * folder empties (abandoned uploads removed) and the gauges and descriptors come back.
 */

const MAX_CHUNK = 1024;
const MAX_FILE = 4 * MAX_CHUNK;
const UPLOAD_TIMEOUT_MS = 1_000;
const uploadGauges = ['junction_upload_uploads', 'junction_upload_temp_bytes'] as const;

const fields = {
  fileName: 'resumableFilename', mimeType: 'resumableType', totalSize: 'resumableTotalSize', chunkNumber: 'resumableChunkNumber',
  chunkSize: 'resumableChunkSize', totalChunks: 'resumableTotalChunks', content: 'file', onProgress: 'on_progress',
};

/** A multipart/form-data body: the text fields in order, then the content part (unless absent). */
function multipart(text: [string, string][], content: Buffer | undefined, boundary = 'fuzzboundary7MA4YWxk'): { body: Buffer; type: string } {
  const parts: Buffer[] = [];
  for (const [name, value] of text) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'latin1'));
  if (content !== undefined) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\n`), content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

interface ChunkSpec {
  name: string;
  number: string;
  count: string;
  total: string;
  bytes: number;
  topic?: string;
}

function chunkRequest(path: string, chunk: ChunkSpec): FuzzRequest {
  const text: [string, string][] = [
    [fields.chunkNumber, chunk.number], [fields.chunkSize, String(MAX_CHUNK)], [fields.totalSize, chunk.total], [fields.totalChunks, chunk.count],
    [fields.fileName, chunk.name], [fields.mimeType, 'application/octet-stream'],
  ];
  if (chunk.topic !== undefined) text.push([fields.onProgress, chunk.topic]);
  const { body, type } = multipart(text, Buffer.alloc(chunk.bytes, 'u'));
  return { method: 'POST', path, headers: { 'content-type': type }, body };
}

const hostileNames = ['../escape.bin', '..', '.', '.hidden', '/etc/passwd', 'a/b.bin', 'a\\b.bin', 'nul\u0000.bin', 'x'.repeat(300), '%2e%2e%2fescape', 'ok.bin', 'ok.bin', 'same.bin',
  'tab\there', 'é-ünïcode.bin', 'folder', ''];
const numberText = fc.oneof(fc.integer({ min: -2, max: 6 }).map(String), fc.constantFrom('0', '1', '1', '2', '4', '-1', '1e3', '0x10', ' 1', '99999999999999999999', 'abc', ''));
/** A chunk of a well-formed upload (sometimes a byte off), so that uploads are begun, finished and raced too. */
const consistentChunk: fc.Arbitrary<ChunkSpec> = fc.record({
  name: fc.constantFrom('one.bin', 'two.bin', 'folder'), count: fc.integer({ min: 1, max: 3 }), size: fc.integer({ min: 1, max: MAX_CHUNK }), pick: fc.nat(), off: fc.constantFrom(0, 0, 0, -1, 1),
}).map(({ name, count, size, pick, off }) => ({ name, number: String((pick % count) + 1), count: String(count), total: String(count * size), bytes: Math.max(0, size + off) }));
const hostileChunk: fc.Arbitrary<ChunkSpec> = fc.record({
  name: fc.oneof(fc.constantFrom(...hostileNames), fc.string({ maxLength: 20 })),
  number: numberText,
  count: numberText,
  total: fc.oneof(fc.integer({ min: 0, max: MAX_FILE + 10 }).map(String), fc.constantFrom('0', String(MAX_CHUNK), String(MAX_FILE), '9007199254740993', '-5', 'x')),
  bytes: fc.oneof(fc.integer({ min: 0, max: MAX_CHUNK + 2 }), fc.constantFrom(0, 1, MAX_CHUNK, MAX_CHUNK + 1, 3 * MAX_CHUNK)),
  topic: fc.option(fc.constantFrom('com.example.progress', 'not a uri!', '', 'wamp.session.kill'), { nil: undefined }),
});
const chunkSpec = fc.oneof(consistentChunk, hostileChunk);

describe(`upload path under hostile chunks (seed ${fuzzSeed})`, () => {
  const web = fuzzedWebPaths('junction-upload-fuzz-', (root) => {
    mkdirSync(destination);
    mkdirSync(join(destination, 'folder'));
    return {
      '/upload': service({}),
      '/few': service({ tempDirectory: join(root, 'temp-few'), maxUploads: 2, maxTempBytes: 3 * MAX_CHUNK }),
      '/pair': service({ tempDirectory: join(root, 'temp-pair'), maxUploads: 2 }),
    };
  });
  const destination = join(web.home, 'uploaded');
  const temp = join(web.home, 'temp');

  const service = (overrides: Partial<UploadService>): UploadService => ({
    type: 'upload', realm: 'realm1', role: 'anonymous', directory: destination, tempDirectory: temp, formFields: fields,
    maxFileSize: MAX_FILE, maxChunkSize: MAX_CHUNK, maxChunks: 4, maxUploads: 6, maxTempBytes: 8 * MAX_CHUNK, uploadTimeoutMs: UPLOAD_TIMEOUT_MS,
    maxRequestsInFlight: 8, ...overrides,
  });

  /** Every file the suite's folder holds, by path below it. */
  const filesUnder = (folder: string, prefix = ''): string[] => readdirSync(folder, { withFileTypes: true }).flatMap((entry) => entry.isDirectory()
    ? filesUnder(join(folder, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`]);

  async function uploadWorks(what: string): Promise<void> {
    const name = `well-behaved-${Date.now()}.bin`;
    for (const number of ['1', '2']) {
      const answer = await exchange(web.port, chunkRequest('/upload', { name, number, count: '2', total: String(2 * 100), bytes: 100 }));
      assert.equal(answer.status, 200, `a well-behaved upload ${what}: ${answer.body.toString()}`);
    }
    assert.equal(statSync(join(destination, name)).size, 200);
    rmSync(join(destination, name));
    await web.fuzzed.bystander.works(what);
  }

  /** The uploads abandoned, the temporary folders empty of them, the gauges at 0. */
  async function nothingLeft(descriptors: number, what: string): Promise<void> {
    const leftovers = () => [...filesUnder(temp).map((file) => `temp/${file}`), ...['temp-few', 'temp-pair'].flatMap((folder) => filesUnder(join(web.home, folder)).map((file) => `${folder}/${file}`))];
    await waitFor(() => leftovers().length === 0, `the temporary folders to empty after ${what} (left: ${leftovers().join(', ')})`, 4 * UPLOAD_TIMEOUT_MS + 5_000);
    const atZero = () => Object.values(gauges(web.fuzzed.node.metrics.exposition(), uploadGauges)).every((value) => value === 0);
    await waitFor(atZero, `the upload gauges back at 0 after ${what}: ${JSON.stringify(gauges(web.fuzzed.node.metrics.exposition(), uploadGauges))}`, 4 * UPLOAD_TIMEOUT_MS + 5_000);
    await waitFor(() => openDescriptors() <= descriptors, `the descriptors of ${what} to be closed (${descriptors} before, ${openDescriptors()} now)`, 10_000);
  }

  it('fuzzed chunks: stored, finished at exactly the announced size, or a specific 4xx; nothing written outside the folders', { timeout: fuzzTimeout(120_000) }, async () => {
    await uploadWorks('before the fuzzing');
    const descriptors = openDescriptors();
    await checkFuzz('upload', fc.asyncProperty(fc.array(chunkSpec, { minLength: 1, maxLength: 4 }), async (chunks) => {
      for (const file of readdirSync(destination)) if (file !== 'folder') rmSync(join(destination, file), { recursive: true });
      // Each chunk, and resumable.js's test for it (GET with the name and number in the query).
      const sent = chunks.flatMap((chunk) => [chunkRequest('/upload', chunk),
        { method: 'GET', path: `/upload?${fields.fileName}=${encodeURIComponent(chunk.name)}&${fields.chunkNumber}=${encodeURIComponent(chunk.number)}` }]);
      const answers = await Promise.all(sent.map((request) => exchangeOrCut(web.port, request)));
      answers.forEach((answer, index) => {
        const chunk = chunks[Math.floor(index / 2)]!;
        if (sent[index]!.method === 'GET') {
          // 200 present or 404 absent (resumable.js's answers, not refusals), else a specific 400.
          if ([200, 404].includes(answer.status)) return assert.match(answer.body.toString(), /"status":"(present|absent)"/);
          assert.equal(answer.status, 400, `a chunk test: ${JSON.stringify(chunk)} -> ${answer.status} ${answer.body.toString()}`);
          return assertSpecificAnswer(answer, sent[index]!);
        }
        const what = `${JSON.stringify(chunk)} -> ${answer.status} ${answer.body.toString().slice(0, 300)}`;
        assertSpecificAnswer(answer, sent[index]!);
        if (answer.status === 200) {
          assert.ok(['stored', 'finished'].includes((JSON.parse(answer.body.toString()) as { status: string }).status), what);
          assert.ok(Number(chunk.bytes) <= MAX_CHUNK && Number(chunk.total) <= MAX_FILE, `a chunk over the bounds was stored: ${what}`);
        } else assert.ok(answer.status >= 400, what);
      });
      const finished = chunks.filter((_, index) => answers[2 * index]!.status === 200 && answers[2 * index]!.body.toString().includes('"finished"'));
      for (const file of filesUnder(web.home)) {
        assert.match(file, /^(uploaded|temp|temp-few|temp-pair)\//, `a file outside the upload folders: ${file}`);
        if (!file.startsWith('uploaded/')) continue;
        const size = statSync(join(web.home, file)).size;
        assert.ok(finished.some((chunk) => `uploaded/${chunk.name}` === file && Number(chunk.total) === size), `${file} (${size} bytes) is no finished upload's announced size`);
      }
      web.fuzzed.watch.assertQuiet('fuzzed chunks');
    }), 25);
    await uploadWorks('after the fuzzing');
    await nothingLeft(descriptors, 'the fuzzing');
    web.fuzzed.watch.assertQuiet('the upload fuzzing');
  });

  it('the same chunk sent again and again takes its bytes once from max_temp_bytes, not each time', { timeout: 30_000 }, async () => {
    for (let round = 1; round <= 6; round++) {
      const answer = await exchange(web.port, chunkRequest('/few', { name: 'again.bin', number: '1', count: '2', total: String(2 * MAX_CHUNK), bytes: MAX_CHUNK }));
      assert.equal(answer.status, 200, `round ${round}: ${answer.body.toString()}`);
    }
    const kept = gauges(web.fuzzed.node.metrics.exposition(), ['junction_upload_temp_bytes'])['junction_upload_temp_bytes{path="/few",transport="test"}'];
    assert.equal(kept, MAX_CHUNK, 'the gauge counts the bytes kept on disk');
    const other = await exchange(web.port, chunkRequest('/few', { name: 'other.bin', number: '1', count: '2', total: String(2 * MAX_CHUNK), bytes: MAX_CHUNK }));
    assert.equal(other.status, 200, `another client's upload: ${other.body.toString()}`);
    await nothingLeft(openDescriptors(), 'the repeated chunk');
  });

  it('first chunks of many files at once: at most max_uploads are begun, the rest get 429 too_many_uploads', { timeout: 30_000 }, async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, (_, index) => exchange(web.port, chunkRequest('/pair', { name: `parallel-${index}.bin`, number: '1', count: '2', total: '200', bytes: 100 }))));
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((status) => status === 200).length, 2, `statuses: ${statuses.join(', ')}`);
    for (const answer of answers) if (answer.status !== 200) assert.equal(JSON.parse(answer.body.toString()).error, 'too_many_uploads');
    assert.equal(readdirSync(join(web.home, 'temp-pair')).filter((name) => !name.startsWith('.')).length, 2);
    await nothingLeft(openDescriptors(), 'the parallel uploads');
  });

  it('a file named like a folder of the upload directory is refused with a specific 409, not an internal error', { timeout: 30_000 }, async () => {
    const answer = await exchange(web.port, chunkRequest('/upload', { name: 'folder', number: '1', count: '1', total: '10', bytes: 10 }));
    assertSpecificAnswer(answer, { method: 'POST', path: '/upload' });
    assert.equal(answer.status, 409, answer.body.toString());
    assert.ok(statSync(join(destination, 'folder')).isDirectory());
    web.fuzzed.watch.assertQuiet('a file named like a folder');
  });

  it('clients that stop mid-chunk and leave: nothing of their chunks is kept, the slots come back', { timeout: 30_000 }, async () => {
    const descriptors = openDescriptors();
    const { body, type } = multipart([[fields.chunkNumber, '1'], [fields.chunkSize, String(MAX_CHUNK)], [fields.totalSize, String(MAX_CHUNK)], [fields.totalChunks, '1'],
      [fields.fileName, 'cut.bin']], Buffer.alloc(MAX_CHUNK, 'c'));
    await Promise.all(Array.from({ length: 10 }, (_, index) => new Promise<void>((resolve, reject) => {
      const socket = connect(web.port, '127.0.0.1', () => {
        socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n`);
        socket.write(body.subarray(0, body.length - 200 - index * 10));
        setTimeout(() => socket.destroy(), 100);
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    })));
    await nothingLeft(descriptors, 'the clients that left');
    await uploadWorks('after clients left mid-chunk');
    web.fuzzed.watch.assertQuiet('clients leaving mid-chunk');
  });
});
