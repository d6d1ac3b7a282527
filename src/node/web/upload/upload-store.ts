import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../../router/log.js';
import { UploadRefusal, type ChunkFields } from './chunk-fields.js';

/** What the first chunk of an upload said, kept in its folder for every process that takes its chunks. */
interface UploadMeta {
  totalSize: number;
  totalChunks: number;
  /** Of the first chunk: later chunks cannot redirect the events of an upload that was authorized for these. */
  progressTopic?: string;
  session?: number;
}

/** One file being uploaded: its folder of chunks in the temporary folder, and what it was announced as. */
export interface Upload extends UploadMeta {
  readonly fileName: string;
  readonly folder: string;
}

export interface UploadStoreOptions {
  directory: string;
  tempDirectory: string;
  fileMode: number | undefined;
  maxUploads: number;
  maxTempBytes: number;
  maxChunkSize: number;
  uploadTimeoutMs: number;
  log: Logger;
  /** Told after every change of the uploads this process holds chunks of, or their bytes (gauges). */
  changed(uploads: number, tempBytes: number): void;
  /** An upload removed after upload_timeout without a chunk. */
  abandoned(fileName: string): void;
}

/** The names the store writes in an upload's folder: its chunks, what the first chunk said, and hidden files being written. */
const chunkName = /^chunk_([0-9]+)$/;
const metaName = '.upload.json';
const partName = /^\..*\.part$/;
/**
 * Folders of the temporary folder being made (`.new-`), put together (`.finishing-`) or removed
 * (`.abandoned-`): never an upload's, whose names never start with a dot.
 */
const workName = /^\.(new|finishing|abandoned)-[0-9a-f]+$/;

const hidden = (prefix: string) => `.${prefix}-${randomBytes(6).toString('hex')}`;

/**
 * The unfinished uploads of one upload path, kept on disk so that every process serving the path
 * (`--workers`) sees the same ones: each is a folder named after its file in the temporary
 * folder, holding what its first chunk said and its chunks. When a chunk completes it, the folder
 * is claimed by an atomic rename (one process wins), the file is put together in the destination
 * folder under a hidden name and renamed to its own (so a watcher of that folder never sees half a
 * file). Bounded: uploads at once, bytes kept (per process), chunk size, and time without a chunk.
 */
export class UploadStore {
  /** Bytes this process stored, by upload: its share of max_temp_bytes. */
  private readonly stored = new Map<string, number>();
  private tempBytes = 0;
  private sweeper: NodeJS.Timeout | undefined;
  /** Uploads are begun one at a time in this process, so that first chunks arriving together cannot all pass max_uploads. */
  private beginning: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: UploadStoreOptions) {}

  /** Checks the destination folder, creates the temporary one, removes what earlier runs abandoned there, and sweeps it from now on. */
  async start(): Promise<void> {
    const destination = await stat(this.options.directory).catch(() => undefined);
    if (!destination?.isDirectory()) throw new Error(`the upload directory "${this.options.directory}" does not exist or is not a folder`);
    await mkdir(this.options.tempDirectory, { recursive: true });
    await this.sweep();
    // Half the timeout: an abandoned upload goes between one and one and a half timeouts after its last chunk.
    this.sweeper = setInterval(() => {
      this.sweep().catch((error: unknown) => this.options.log.warn({ err: (error as Error).message }, 'could not sweep the upload folder'));
    }, Math.max(500, this.options.uploadTimeoutMs / 2));
    this.sweeper.unref();
  }

  /** Whether a chunk is stored (the resumable.js test request). */
  async has(fileName: string, chunkNumber: number): Promise<boolean> {
    const found = await stat(join(this.options.tempDirectory, fileName, `chunk_${chunkNumber}`)).catch(() => undefined);
    return found?.isFile() === true;
  }

  /**
   * The upload a chunk belongs to, begun if it is the first (`isNew`, for one process only: the
   * folder appears whole, with what the chunk said, by a rename). A chunk that disagrees with its
   * upload's size or chunk count is a conflict.
   */
  async begin(fields: ChunkFields): Promise<{ upload: Upload; isNew: boolean }> {
    const folder = join(this.options.tempDirectory, fields.fileName);
    let meta = await readMeta(folder);
    let isNew = false;
    if (meta === undefined) {
      const fresh: UploadMeta = { totalSize: fields.totalSize, totalChunks: fields.totalChunks };
      if (fields.progressTopic !== undefined) fresh.progressTopic = fields.progressTopic;
      if (fields.session !== undefined) fresh.session = fields.session;
      const begun = this.beginning.then(() => this.createWithinBound(folder, fresh));
      this.beginning = begun.catch(() => undefined);
      isNew = await begun;
      meta = isNew ? fresh : await readMeta(folder);
      if (meta === undefined) throw new UploadRefusal(409, 'upload_conflict', `the upload of "${fields.fileName}" ended while this chunk arrived; send it again`);
    }
    if (meta.totalSize !== fields.totalSize || meta.totalChunks !== fields.totalChunks) {
      throw new UploadRefusal(409, 'upload_conflict',
        `"${fields.fileName}" is being uploaded as ${meta.totalSize} bytes in ${meta.totalChunks} chunks; this chunk says ${fields.totalSize} bytes in ${fields.totalChunks}`);
    }
    return { upload: { ...meta, fileName: fields.fileName, folder }, isNew };
  }

  /** Removes an upload that never got a chunk (its first chunk was refused). */
  async forgetIfEmpty(upload: Upload): Promise<void> {
    const entries = await readdir(upload.folder).catch(() => undefined);
    if (entries === undefined || entries.some((name) => chunkName.test(name) || partName.test(name))) return;
    await rm(upload.folder, { recursive: true, force: true });
  }

  /**
   * Stores one chunk from `content`, counting its bytes as they arrive: past max_chunk_size, past
   * the file's total_size, or past max_temp_bytes it is refused and nothing of it is kept. A chunk
   * sent again replaces the one stored.
   */
  async writeChunk(upload: Upload, chunkNumber: number, content: Readable): Promise<number> {
    // Near the limit, first forget the bytes of uploads another process finished meanwhile.
    if (this.tempBytes + this.options.maxChunkSize > this.options.maxTempBytes) await this.forgetEnded();
    const part = join(upload.folder, `.chunk_${chunkNumber}.${randomBytes(6).toString('hex')}.part`);
    let received = 0;
    const counter = new Transform({
      transform: (piece: Buffer, _encoding, done) => {
        const problem = this.tooMuch(upload, chunkNumber, received + piece.length, piece.length);
        if (problem) return done(problem);
        received += piece.length;
        this.tempBytes += piece.length;
        done(null, piece);
      },
    });
    const stored = join(upload.folder, `chunk_${chunkNumber}`);
    let replaced = 0;
    try {
      await pipeline(content, counter, createWriteStream(part, { flags: 'wx' }));
      // A chunk sent again replaces its bytes: they no longer count (as far as this process counted them).
      replaced = Math.min((await stat(stored).catch(() => undefined))?.size ?? 0, this.stored.get(upload.fileName) ?? 0);
      await rename(part, stored);
    } catch (error) {
      this.tempBytes -= received;
      await unlink(part).catch(() => undefined);
      this.report();
      // The folder went away meanwhile: the upload was finished or abandoned by another request.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UploadRefusal(409, 'upload_conflict', `the upload of "${upload.fileName}" ended while this chunk arrived`);
      throw error;
    }
    this.tempBytes -= replaced;
    this.stored.set(upload.fileName, (this.stored.get(upload.fileName) ?? 0) + received - replaced);
    this.report();
    return received;
  }

  /** Bytes of the chunks an upload has stored (by every process). */
  async storedBytes(upload: Upload): Promise<number> {
    const entries = await readdir(upload.folder).catch(() => [] as string[]);
    let bytes = 0;
    for (const name of entries) if (chunkName.test(name)) bytes += (await stat(join(upload.folder, name)).catch(() => undefined))?.size ?? 0;
    return bytes;
  }

  private tooMuch(upload: Upload, chunkNumber: number, chunkBytes: number, more: number): UploadRefusal | undefined {
    if (chunkBytes > this.options.maxChunkSize) {
      return new UploadRefusal(413, 'chunk_too_large', `chunk ${chunkNumber} is larger than this path takes (max_chunk_size ${this.options.maxChunkSize} bytes)`);
    }
    if (chunkBytes > upload.totalSize) {
      return new UploadRefusal(400, 'size_mismatch', `chunk ${chunkNumber} is larger than the whole of "${upload.fileName}" (${upload.totalSize} bytes)`);
    }
    if (this.tempBytes + more > this.options.maxTempBytes) {
      return new UploadRefusal(429, 'temp_space_full', `unfinished uploads on this path hold ${this.options.maxTempBytes} bytes already (max_temp_bytes); try again later`, { 'retry-after': '10' });
    }
    return undefined;
  }

  /**
   * If every chunk is in, claims the upload for finishing: its folder is renamed away, so one
   * request alone finishes it and later chunks start anew. Returns the claimed folder.
   */
  async claimFinished(upload: Upload): Promise<string | undefined> {
    const entries = await readdir(upload.folder).catch(() => [] as string[]);
    const chunks = new Set(entries.map((name) => chunkName.exec(name)?.[1]).filter((number) => number !== undefined).map(Number));
    for (let number = 1; number <= upload.totalChunks; number++) if (!chunks.has(number)) return undefined;
    const claimed = join(this.options.tempDirectory, hidden('finishing'));
    try {
      await rename(upload.folder, claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return claimed;
  }

  /**
   * Puts a claimed upload's chunks together in the destination folder under a hidden name, sets
   * its permissions, renames it to its file name (replacing a file of that name, as Crossbar
   * does) and removes the chunks. Chunks that do not add up to the total size fail it (400).
   */
  async finish(upload: Upload, claimed: string): Promise<void> {
    const part = join(this.options.directory, `.${upload.fileName}.${randomBytes(6).toString('hex')}.part`);
    try {
      const chunks = Array.from({ length: upload.totalChunks }, (_, index) => join(claimed, `chunk_${index + 1}`));
      let bytes = 0;
      for (const chunk of chunks) bytes += (await stat(chunk)).size;
      if (bytes !== upload.totalSize) {
        throw new UploadRefusal(400, 'size_mismatch', `the chunks of "${upload.fileName}" add up to ${bytes} bytes, not its total size (${upload.totalSize}); send it again`);
      }
      const output = createWriteStream(part, { flags: 'wx' });
      try {
        for (const chunk of chunks) await pipeline(createReadStream(chunk), output, { end: false });
      } finally {
        await new Promise<void>((resolve, reject) => output.end((error?: Error | null) => (error ? reject(error) : resolve())));
      }
      if (this.options.fileMode !== undefined) await chmod(part, this.options.fileMode);
      await rename(part, join(this.options.directory, upload.fileName)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EISDIR') throw error;
        throw new UploadRefusal(409, 'file_name_taken', `"${upload.fileName}" names a folder in the upload directory; the file was not kept`);
      });
    } catch (error) {
      await unlink(part).catch(() => undefined);
      throw error;
    } finally {
      await rm(claimed, { recursive: true, force: true });
      this.release(upload.fileName);
    }
  }

  /** Stops sweeping (the path is closing); the files stay for the next start, or another process. */
  close(): void {
    clearInterval(this.sweeper);
  }

  /**
   * Removes the uploads with no chunk for upload_timeout (by their files' times, whichever process
   * stored them), work folders a stopped process left, and forgets the bytes of uploads that are gone.
   */
  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const entry of await readdir(this.options.tempDirectory, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const folder = join(this.options.tempDirectory, entry.name);
      if (workName.test(entry.name)) {
        // A rename sets a folder's ctime: a work folder that old belongs to no request.
        const since = await stat(folder).then((found) => found.ctimeMs, () => now);
        if (now - since > this.options.uploadTimeoutMs) await rm(folder, { recursive: true, force: true });
        continue;
      }
      if (entry.name.startsWith('.')) continue;
      const latest = await latestChange(folder);
      if (latest === undefined || now - latest <= this.options.uploadTimeoutMs) continue;
      // Claimed by a rename first: of two sweeps at once (two workers, or a slow sweep and the next), one removes and reports it.
      const claimed = join(this.options.tempDirectory, hidden('abandoned'));
      if (!await rename(folder, claimed).then(() => true, (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      })) continue;
      await rm(claimed, { recursive: true, force: true });
      // Its bytes go with it, not at the end of the sweep: the gauge never counts what is no longer on disk.
      this.release(entry.name);
      this.options.abandoned(entry.name);
    }
    await this.forgetEnded();
  }

  /** Releases the bytes this process stored for uploads that are gone (finished or removed by any process). */
  private async forgetEnded(): Promise<void> {
    for (const fileName of [...this.stored.keys()]) {
      if (await readMeta(join(this.options.tempDirectory, fileName)) === undefined) this.release(fileName);
    }
  }

  /** `create` unless the path has max_uploads unfinished uploads already (429). */
  private async createWithinBound(folder: string, meta: UploadMeta): Promise<boolean> {
    const uploads = (await this.uploadFolders()).length;
    if (uploads >= this.options.maxUploads) {
      throw new UploadRefusal(429, 'too_many_uploads', `this path has ${this.options.maxUploads} unfinished uploads already (max_uploads); try again later`, { 'retry-after': '10' });
    }
    return this.create(folder, meta);
  }

  /** Makes an upload's folder whole, with its meta, by a rename: false when another request made it first. */
  private async create(folder: string, meta: UploadMeta): Promise<boolean> {
    const staging = join(this.options.tempDirectory, hidden('new'));
    await mkdir(staging);
    try {
      await writeFile(join(staging, metaName), JSON.stringify(meta));
      await rename(staging, folder);
      return true;
    } catch (error) {
      if (['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) return false;
      throw error;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async uploadFolders(): Promise<Dirent[]> {
    const entries = await readdir(this.options.tempDirectory, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'));
  }

  private release(fileName: string): void {
    this.tempBytes -= this.stored.get(fileName) ?? 0;
    this.stored.delete(fileName);
    this.report();
  }

  private report(): void {
    this.options.changed(this.stored.size, this.tempBytes);
  }
}

async function readMeta(folder: string): Promise<UploadMeta | undefined> {
  try {
    return JSON.parse(await readFile(join(folder, metaName), 'utf8')) as UploadMeta;
  } catch {
    return undefined;
  }
}

/**
 * When an upload folder last changed: the newest time of its files (a chunk being written
 * counts). Undefined for a folder that is not an upload's (temp_directory may be shared), which
 * is left alone.
 */
async function latestChange(folder: string): Promise<number | undefined> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => undefined);
  if (entries === undefined) return undefined;
  if (!entries.every((entry) => entry.isFile() && (chunkName.test(entry.name) || partName.test(entry.name) || entry.name === metaName))) return undefined;
  let latest = (await stat(folder).catch(() => undefined))?.mtimeMs ?? 0;
  for (const entry of entries) latest = Math.max(latest, (await stat(join(folder, entry.name)).catch(() => undefined))?.mtimeMs ?? 0);
  return latest;
}
