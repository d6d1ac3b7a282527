import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../../router/log.js';
import { UploadRefusal, type ChunkFields } from './chunk-fields.js';
import { UploadStore, type UploadStoreOptions } from './upload-store.js';

const root = await mkdtemp(join(tmpdir(), 'junction-upload-store-'));
after(() => rm(root, { recursive: true, force: true }));
let directory: string;
let tempDirectory: string;
let case_ = 0;

beforeEach(async () => {
  case_++;
  directory = join(root, `out${case_}`);
  tempDirectory = join(root, `temp${case_}`);
  await mkdir(directory);
});

let tempBytes = 0;
function storeWith(options: Partial<UploadStoreOptions> = {}): UploadStore {
  return new UploadStore({
    directory, tempDirectory, fileMode: undefined, maxUploads: 10, maxTempBytes: 1000, maxChunkSize: 500, uploadTimeoutMs: 60_000,
    log: silentLogger, changed: (_uploads, bytes) => (tempBytes = bytes), abandoned: () => undefined, ...options,
  });
}

const chunkOf = (fileName: string, totalSize: number, totalChunks: number, chunkNumber = 1): ChunkFields =>
  ({ fileName, totalSize, totalChunks, chunkNumber, chunkExtra: {}, finishExtra: {} });

async function refusal(promise: Promise<unknown> | (() => unknown)): Promise<UploadRefusal> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    assert.ok(error instanceof UploadRefusal, String(error));
    return error;
  }
  assert.fail('expected a refusal');
}

describe('upload store', () => {
  it('refuses a chunk that would pass max_temp_bytes, keeping nothing of it, and counts the bytes it keeps', async () => {
    const store = storeWith();
    await store.start();
    const first = store.begin(chunkOf('a.bin', 1000, 2)).upload;
    assert.equal(await store.writeChunk(first, 1, Readable.from([Buffer.alloc(400)])), 400);
    const second = store.begin(chunkOf('b.bin', 1000, 2)).upload;
    assert.equal(await store.writeChunk(second, 1, Readable.from([Buffer.alloc(400)])), 400);
    assert.equal(tempBytes, 800);
    const full = await refusal(store.writeChunk(second, 2, Readable.from([Buffer.alloc(150), Buffer.alloc(150)])));
    assert.deepEqual([full.status, full.code], [429, 'temp_space_full']);
    assert.equal(tempBytes, 800);
    assert.deepEqual(await readdir(join(tempDirectory, 'b.bin')), ['chunk_1']);
    store.close();
  });

  it('refuses chunks that add up to more than the file, a chunk larger than max_chunk_size, and a chunk that disagrees with its upload', async () => {
    const store = storeWith();
    await store.start();
    const upload = store.begin(chunkOf('c.bin', 300, 2)).upload;
    await store.writeChunk(upload, 1, Readable.from([Buffer.alloc(200)]));
    const over = await refusal(store.writeChunk(upload, 2, Readable.from([Buffer.alloc(101)])));
    assert.deepEqual([over.status, over.code], [400, 'size_mismatch']);
    const large = await refusal(store.writeChunk(store.begin(chunkOf('d.bin', 900, 1)).upload, 1, Readable.from([Buffer.alloc(501)])));
    assert.deepEqual([large.status, large.code], [413, 'chunk_too_large']);
    const conflict = await refusal(() => store.begin(chunkOf('c.bin', 301, 2)));
    assert.deepEqual([conflict.status, conflict.code], [409, 'upload_conflict']);
    assert.equal(tempBytes, 200);
    store.close();
  });

  it('finishes only with every byte, under the file name, through a hidden part file', async () => {
    const store = storeWith({ fileMode: 0o600 });
    await store.start();
    const short = store.begin(chunkOf('short.bin', 10, 2)).upload;
    await store.writeChunk(short, 1, Readable.from([Buffer.from('abc')]));
    await store.writeChunk(short, 2, Readable.from([Buffer.from('de')]));
    assert.ok(store.claimFinished(short));
    const mismatch = await refusal(store.finish(short));
    assert.deepEqual([mismatch.status, mismatch.code], [400, 'size_mismatch']);
    const whole = store.begin(chunkOf('whole.txt', 5, 2)).upload;
    await store.writeChunk(whole, 2, Readable.from([Buffer.from('lo')]));
    assert.ok(!store.claimFinished(whole));
    await store.writeChunk(whole, 1, Readable.from([Buffer.from('hel')]));
    assert.ok(store.claimFinished(whole));
    assert.ok(!store.claimFinished(whole), 'claimed once');
    await store.finish(whole);
    assert.equal(await readFile(join(directory, 'whole.txt'), 'utf8'), 'hello');
    assert.deepEqual(await readdir(directory), ['whole.txt']);
    assert.deepEqual(await readdir(tempDirectory), []);
    assert.equal(tempBytes, 0);
    store.close();
  });

  it('removes at start the uploads an earlier run left, but not folders of others', async () => {
    await mkdir(join(tempDirectory, 'left.bin'), { recursive: true });
    await writeFile(join(tempDirectory, 'left.bin', 'chunk_1'), 'x');
    await writeFile(join(tempDirectory, 'left.bin', '.chunk_2.abc.part'), 'y');
    await mkdir(join(tempDirectory, 'someone-else'));
    await writeFile(join(tempDirectory, 'someone-else', 'notes.txt'), 'keep');
    await storeWith().start();
    assert.ok(!existsSync(join(tempDirectory, 'left.bin')));
    assert.equal(await readFile(join(tempDirectory, 'someone-else', 'notes.txt'), 'utf8'), 'keep');
  });

  it('refuses to start without its destination folder', async () => {
    await assert.rejects(storeWith({ directory: join(root, 'missing') }).start(), /does not exist or is not a folder/);
  });
});
