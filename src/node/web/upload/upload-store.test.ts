import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
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
let caseNumber = 0;
const stores: UploadStore[] = [];

beforeEach(async () => {
  caseNumber++;
  directory = join(root, `out${caseNumber}`);
  tempDirectory = join(root, `temp${caseNumber}`);
  await mkdir(directory);
});
after(() => stores.forEach((store) => store.close()));

let tempBytes = 0;
async function started(options: Partial<UploadStoreOptions> = {}): Promise<UploadStore> {
  const store = new UploadStore({
    directory, tempDirectory, fileMode: undefined, maxUploads: 10, maxTempBytes: 1000, maxChunkSize: 500, uploadTimeoutMs: 60_000,
    log: silentLogger, changed: (_uploads, bytes) => (tempBytes = bytes), abandoned: () => undefined, ...options,
  });
  await store.start();
  stores.push(store);
  return store;
}

const chunkOf = (fileName: string, totalSize: number, totalChunks: number): ChunkFields =>
  ({ fileName, totalSize, totalChunks, chunkNumber: 1, chunkExtra: {}, finishExtra: {} });
const bytes = (...pieces: (string | number)[]) => Readable.from(pieces.map((piece) => (typeof piece === 'number' ? Buffer.alloc(piece) : Buffer.from(piece))));

async function refusal(promise: Promise<unknown>): Promise<[number, string]> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UploadRefusal, String(error));
    return [error.status, error.code];
  }
  assert.fail('expected a refusal');
}

describe('upload store', () => {
  it('refuses a chunk that would pass max_temp_bytes, keeping nothing of it, and counts the bytes it keeps', async () => {
    const store = await started();
    const first = (await store.begin(chunkOf('a.bin', 1000, 2))).upload;
    assert.equal(await store.writeChunk(first, 1, bytes(400)), 400);
    const second = (await store.begin(chunkOf('b.bin', 1000, 2))).upload;
    assert.equal(await store.writeChunk(second, 1, bytes(400)), 400);
    assert.equal(tempBytes, 800);
    assert.deepEqual(await refusal(store.writeChunk(second, 2, bytes(150, 150))), [429, 'temp_space_full']);
    assert.equal(tempBytes, 800);
    assert.deepEqual((await readdir(join(tempDirectory, 'b.bin'))).sort(), ['.upload.json', 'chunk_1']);
  });

  it('refuses a chunk larger than max_chunk_size or than the file, a chunk that disagrees with its upload, and uploads past max_uploads', async () => {
    const store = await started({ maxUploads: 2 });
    const upload = (await store.begin(chunkOf('c.bin', 300, 2))).upload;
    assert.deepEqual(await refusal(store.writeChunk(upload, 1, bytes(301))), [400, 'size_mismatch']);
    const large = (await store.begin(chunkOf('d.bin', 900, 1))).upload;
    assert.deepEqual(await refusal(store.writeChunk(large, 1, bytes(501))), [413, 'chunk_too_large']);
    assert.deepEqual(await refusal(store.begin(chunkOf('c.bin', 301, 2))), [409, 'upload_conflict']);
    assert.deepEqual(await refusal(store.begin(chunkOf('e.bin', 10, 1))), [429, 'too_many_uploads']);
    assert.equal(tempBytes, 0);
  });

  it('finishes only with every byte, under the file name, through a hidden part file', async () => {
    const store = await started({ fileMode: 0o600 });
    const short = (await store.begin(chunkOf('short.bin', 10, 2))).upload;
    await store.writeChunk(short, 1, bytes('abc'));
    await store.writeChunk(short, 2, bytes('de'));
    const claimedShort = await store.claimFinished(short);
    assert.ok(claimedShort);
    assert.deepEqual(await refusal(store.finish(short, claimedShort)), [400, 'size_mismatch']);
    const whole = (await store.begin(chunkOf('whole.txt', 5, 2))).upload;
    await store.writeChunk(whole, 2, bytes('lo'));
    assert.equal(await store.claimFinished(whole), undefined);
    await store.writeChunk(whole, 1, bytes('hel'));
    const claimed = await store.claimFinished(whole);
    assert.ok(claimed);
    assert.equal(await store.claimFinished(whole), undefined, 'claimed once');
    await store.finish(whole, claimed);
    assert.equal(await readFile(join(directory, 'whole.txt'), 'utf8'), 'hello');
    assert.deepEqual(await readdir(directory), ['whole.txt']);
    assert.deepEqual(await readdir(tempDirectory), []);
    assert.equal(tempBytes, 0);
  });

  it('shares uploads between processes on one folder (--workers): one begins it, either finishes it', async () => {
    const one = await started();
    const two = await started();
    const begun = await Promise.all([one.begin(chunkOf('shared.bin', 6, 2)), two.begin(chunkOf('shared.bin', 6, 2))]);
    assert.deepEqual(begun.map((found) => found.isNew).sort(), [false, true]);
    await one.writeChunk(begun[0].upload, 1, bytes('abc'));
    assert.ok(await two.has('shared.bin', 1));
    assert.ok(!(await two.has('shared.bin', 2)));
    await two.writeChunk(begun[1].upload, 2, bytes('def'));
    assert.equal(await one.storedBytes(begun[0].upload), 6);
    const claimed = await two.claimFinished(begun[1].upload);
    assert.ok(claimed);
    assert.equal(await one.claimFinished(begun[0].upload), undefined);
    await two.finish(begun[1].upload, claimed);
    assert.equal(await readFile(join(directory, 'shared.bin'), 'utf8'), 'abcdef');
  });

  it("forgets near max_temp_bytes the bytes of an upload another process finished", async () => {
    const one = await started({ maxTempBytes: 10, maxChunkSize: 8 });
    const two = await started({ maxTempBytes: 10, maxChunkSize: 8 });
    const shared = (await one.begin(chunkOf('shared.bin', 6, 2))).upload;
    await one.writeChunk(shared, 1, bytes('abc'));
    await two.writeChunk((await two.begin(chunkOf('shared.bin', 6, 2))).upload, 2, bytes('def'));
    const claimed = await two.claimFinished(shared);
    assert.ok(claimed);
    await two.finish(shared, claimed);
    const next = (await one.begin(chunkOf('next.bin', 8, 1))).upload;
    assert.equal(await one.writeChunk(next, 1, bytes(8)), 8);
  });

  it('an abandoned upload is removed and reported once when two stores (two workers) sweep the folder at once', async () => {
    const old = Date.now() / 1000 - 3600;
    for (let n = 0; n < 20; n++) {
      const folder = join(tempDirectory, `left${n}.bin`);
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, 'chunk_1'), 'x');
      await utimes(join(folder, 'chunk_1'), old, old);
      await utimes(folder, old, old);
    }
    const abandoned: string[] = [];
    await Promise.all([1, 2].map(() => started({ uploadTimeoutMs: 1000, abandoned: (name) => abandoned.push(name) })));
    assert.equal(abandoned.length, 20, abandoned.join(', '));
    assert.equal(new Set(abandoned).size, 20);
    assert.deepEqual(await readdir(tempDirectory), [], 'nothing left, not even the claimed folders');
  });

  it('removes uploads with no chunk for upload_timeout, at start and while running, but not young ones nor folders of others', async () => {
    const old = Date.now() / 1000 - 3600;
    await mkdir(join(tempDirectory, 'left.bin'), { recursive: true });
    for (const name of ['chunk_1', '.chunk_2.abc.part', '.upload.json']) {
      await writeFile(join(tempDirectory, 'left.bin', name), 'x');
      await utimes(join(tempDirectory, 'left.bin', name), old, old);
    }
    await utimes(join(tempDirectory, 'left.bin'), old, old);
    await mkdir(join(tempDirectory, 'someone-else'));
    await writeFile(join(tempDirectory, 'someone-else', 'notes.txt'), 'keep');
    await utimes(join(tempDirectory, 'someone-else', 'notes.txt'), old, old);
    const abandoned: string[] = [];
    let youngAbandoned!: () => void;
    const youngGone = new Promise<void>((resolve, reject) => {
      // A generous bound, and a timer that keeps the process waiting: the store's sweep timer does not.
      const deadline = setTimeout(() => reject(new Error('young.bin was never reported abandoned')), 20_000);
      youngAbandoned = () => {
        clearTimeout(deadline);
        resolve();
      };
    });
    const store = await started({
      uploadTimeoutMs: 1000,
      abandoned: (name) => {
        abandoned.push(name);
        if (name === 'young.bin') youngAbandoned();
      },
    });
    assert.ok(!existsSync(join(tempDirectory, 'left.bin')));
    assert.equal(await readFile(join(tempDirectory, 'someone-else', 'notes.txt'), 'utf8'), 'keep');

    const upload = (await store.begin(chunkOf('young.bin', 10, 2))).upload;
    await store.writeChunk(upload, 1, bytes(5));
    assert.ok(existsSync(upload.folder), 'young');
    assert.equal(tempBytes, 5);
    // A sweep removes it one to one and a half upload_timeouts after its chunk.
    await youngGone;
    assert.ok(!existsSync(upload.folder), 'removed once abandoned');
    assert.deepEqual(abandoned, ['left.bin', 'young.bin']);
    assert.equal(tempBytes, 0, 'its bytes no longer counted once it is reported abandoned');
  });

  it('refuses to start without its destination folder', async () => {
    await assert.rejects(started({ directory: join(root, 'missing') }), /does not exist or is not a folder/);
  });
});
