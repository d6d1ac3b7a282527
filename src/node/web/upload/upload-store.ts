import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../../router/log.js';
import { UploadRefusal, type ChunkFields } from './chunk-fields.js';

/** One file being uploaded: its folder of chunks in the temporary folder, and what it was announced as. */
export interface Upload {
  readonly fileName: string;
  readonly totalSize: number;
  readonly totalChunks: number;
  /** Of the first chunk: later chunks cannot redirect the events of an upload that was authorized for these. */
  readonly progressTopic: string | undefined;
  readonly session: number | undefined;
  /** Chunk number -> its bytes, for the chunks stored. */
  readonly chunks: Map<number, number>;
  /** Bytes of the stored chunks. */
  bytes: number;
  /** Chunks being written now: the upload is not abandoned while one is. */
  writing: number;
  /** Set once its last chunk is in: no more chunks are taken while it is put together. */
  finishing: boolean;
  timer: NodeJS.Timeout | undefined;
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
  /** Told after every change of the unfinished uploads or their bytes (gauges). */
  changed(uploads: number, tempBytes: number): void;
  /** An upload removed after upload_timeout without a chunk. */
  abandoned(upload: Upload): void;
}

/** The names the store writes in an upload's folder: `chunk_<n>`, and hidden files while they are being written. */
const chunkFile = /^chunk_[0-9]+$/;
const partFile = /^\..*\.part$/;

/**
 * The unfinished uploads of one upload path: each a folder named after its file in the
 * temporary folder, holding its chunks until the last one is in; then the file is put together
 * in the destination folder under a hidden name and renamed to its own (so a watcher of that
 * folder never sees half a file). Bounded: uploads at once, bytes kept, chunk size, and time
 * without a chunk.
 */
export class UploadStore {
  private readonly uploads = new Map<string, Upload>();
  private tempBytes = 0;

  constructor(private readonly options: UploadStoreOptions) {}

  /** Checks the destination folder, creates the temporary one and removes uploads a previous run left there. */
  async start(): Promise<void> {
    const destination = await stat(this.options.directory).catch(() => undefined);
    if (!destination?.isDirectory()) throw new Error(`the upload directory "${this.options.directory}" does not exist or is not a folder`);
    await mkdir(this.options.tempDirectory, { recursive: true });
    for (const entry of await readdir(this.options.tempDirectory, { withFileTypes: true })) {
      if (entry.isDirectory() && await this.holdsOnlyChunks(entry.name)) {
        await rm(join(this.options.tempDirectory, entry.name), { recursive: true, force: true });
        this.options.log.info({ file: entry.name }, 'removed an unfinished upload left by an earlier run');
      }
    }
  }

  /** Whether a chunk is stored (the resumable.js test request). */
  has(fileName: string, chunkNumber: number): boolean {
    return this.uploads.get(fileName)?.chunks.has(chunkNumber) === true;
  }

  /**
   * The upload a chunk belongs to, begun if it is the first (`isNew`). A chunk that disagrees
   * with its upload's size or chunk count, or arrives while it is being finished, is a conflict.
   */
  begin(fields: ChunkFields): { upload: Upload; isNew: boolean } {
    const known = this.uploads.get(fields.fileName);
    if (known) {
      if (known.totalSize !== fields.totalSize || known.totalChunks !== fields.totalChunks) {
        throw new UploadRefusal(409, 'upload_conflict',
          `"${fields.fileName}" is being uploaded as ${known.totalSize} bytes in ${known.totalChunks} chunks; this chunk says ${fields.totalSize} bytes in ${fields.totalChunks}`);
      }
      if (known.finishing) throw new UploadRefusal(409, 'upload_conflict', `"${fields.fileName}" has all its chunks and is being finished`);
      return { upload: known, isNew: false };
    }
    if (this.uploads.size >= this.options.maxUploads) {
      throw new UploadRefusal(429, 'too_many_uploads', `this path has ${this.options.maxUploads} unfinished uploads already (max_uploads); try again later`, { 'retry-after': '10' });
    }
    const upload: Upload = {
      fileName: fields.fileName, totalSize: fields.totalSize, totalChunks: fields.totalChunks,
      progressTopic: fields.progressTopic, session: fields.session,
      chunks: new Map(), bytes: 0, writing: 0, finishing: false, timer: undefined,
    };
    this.uploads.set(upload.fileName, upload);
    this.armTimer(upload);
    this.report();
    return { upload, isNew: true };
  }

  /** Drops an upload that never got a chunk (its first chunk was refused). */
  forgetIfEmpty(upload: Upload): void {
    if (upload.chunks.size > 0 || upload.writing > 0 || this.uploads.get(upload.fileName) !== upload) return;
    clearTimeout(upload.timer);
    this.uploads.delete(upload.fileName);
    void rm(this.folderOf(upload), { recursive: true, force: true });
    this.report();
  }

  /**
   * Stores one chunk from `content`, counting its bytes as they arrive: past max_chunk_size, past
   * the file's total_size, or past max_temp_bytes for the whole path it is refused and nothing of
   * it is kept. A chunk sent again replaces the one stored.
   */
  async writeChunk(upload: Upload, chunkNumber: number, content: Readable): Promise<number> {
    upload.writing++;
    const folder = this.folderOf(upload);
    const part = join(folder, `.chunk_${chunkNumber}.${randomBytes(6).toString('hex')}.part`);
    const otherChunks = upload.bytes - (upload.chunks.get(chunkNumber) ?? 0);
    let received = 0;
    const counter = new Transform({
      transform: (piece: Buffer, _encoding, done) => {
        const problem = this.tooMuch(upload, otherChunks, received + piece.length, chunkNumber, piece.length);
        if (problem) return done(problem);
        received += piece.length;
        this.tempBytes += piece.length;
        done(null, piece);
      },
    });
    try {
      await mkdir(folder, { recursive: true });
      await pipeline(content, counter, createWriteStream(part));
      if (this.uploads.get(upload.fileName) !== upload) throw new UploadRefusal(409, 'upload_conflict', `the upload of "${upload.fileName}" was removed while this chunk arrived`);
      await rename(part, join(folder, `chunk_${chunkNumber}`));
    } catch (error) {
      this.tempBytes -= received;
      await unlink(part).catch(() => undefined);
      throw error;
    } finally {
      upload.writing--;
      this.report();
    }
    const replaced = upload.chunks.get(chunkNumber) ?? 0;
    this.tempBytes -= replaced;
    upload.bytes += received - replaced;
    upload.chunks.set(chunkNumber, received);
    this.armTimer(upload);
    this.report();
    return received;
  }

  private tooMuch(upload: Upload, otherChunks: number, chunkBytes: number, chunkNumber: number, more: number): UploadRefusal | undefined {
    if (chunkBytes > this.options.maxChunkSize) {
      return new UploadRefusal(413, 'chunk_too_large', `chunk ${chunkNumber} is larger than this path takes (max_chunk_size ${this.options.maxChunkSize} bytes)`);
    }
    if (otherChunks + chunkBytes > upload.totalSize) {
      return new UploadRefusal(400, 'size_mismatch', `the chunks of "${upload.fileName}" add up to more than its total size (${upload.totalSize} bytes)`);
    }
    if (this.tempBytes + more > this.options.maxTempBytes) {
      return new UploadRefusal(429, 'temp_space_full', `unfinished uploads on this path hold ${this.options.maxTempBytes} bytes already (max_temp_bytes); try again later`, { 'retry-after': '10' });
    }
    return undefined;
  }

  /** Claims the upload for finishing if every chunk is in; only one request finishes it. */
  claimFinished(upload: Upload): boolean {
    if (upload.finishing || upload.chunks.size < upload.totalChunks || this.uploads.get(upload.fileName) !== upload) return false;
    upload.finishing = true;
    clearTimeout(upload.timer);
    return true;
  }

  /**
   * Puts a claimed upload's chunks together in the destination folder under a hidden name, sets
   * its permissions, renames it to its file name (replacing a file of that name, as Crossbar
   * does) and removes the upload. Chunks that add up to less than the total size fail it (400).
   */
  async finish(upload: Upload): Promise<void> {
    const part = join(this.options.directory, `.${upload.fileName}.${randomBytes(6).toString('hex')}.part`);
    try {
      if (upload.bytes !== upload.totalSize) {
        throw new UploadRefusal(400, 'size_mismatch', `the chunks of "${upload.fileName}" add up to ${upload.bytes} bytes, not its total size (${upload.totalSize})`);
      }
      const folder = this.folderOf(upload);
      const output = createWriteStream(part, { flags: 'wx' });
      try {
        for (let number = 1; number <= upload.totalChunks; number++) {
          await pipeline(createReadStream(join(folder, `chunk_${number}`)), output, { end: false });
        }
      } finally {
        await new Promise<void>((resolve, reject) => output.end((error?: Error | null) => (error ? reject(error) : resolve())));
      }
      if (this.options.fileMode !== undefined) await chmod(part, this.options.fileMode);
      await rename(part, join(this.options.directory, upload.fileName));
    } catch (error) {
      await unlink(part).catch(() => undefined);
      throw error;
    } finally {
      await this.remove(upload);
    }
  }

  /** Forgets every timer (the path is closing); the files stay until the next start. */
  close(): void {
    for (const upload of this.uploads.values()) clearTimeout(upload.timer);
  }

  private async remove(upload: Upload): Promise<void> {
    if (this.uploads.get(upload.fileName) !== upload) return;
    clearTimeout(upload.timer);
    this.uploads.delete(upload.fileName);
    this.tempBytes -= upload.bytes;
    this.report();
    await rm(this.folderOf(upload), { recursive: true, force: true });
  }

  /** (Re)starts the clock of an upload without chunks; past upload_timeout it is removed, unless a chunk is arriving. */
  private armTimer(upload: Upload): void {
    clearTimeout(upload.timer);
    upload.timer = setTimeout(() => {
      if (upload.writing > 0) return this.armTimer(upload);
      this.options.abandoned(upload);
      this.remove(upload).catch((error: unknown) => this.options.log.warn({ file: upload.fileName, err: (error as Error).message }, 'could not remove an abandoned upload'));
    }, this.options.uploadTimeoutMs);
    upload.timer.unref();
  }

  private folderOf(upload: Upload): string {
    return join(this.options.tempDirectory, upload.fileName);
  }

  /** Only folders that look like ours are removed: temp_directory may be a folder others use too. */
  private async holdsOnlyChunks(name: string): Promise<boolean> {
    const entries = await readdir(join(this.options.tempDirectory, name), { withFileTypes: true });
    return entries.every((entry) => entry.isFile() && (chunkFile.test(entry.name) || partFile.test(entry.name)));
  }

  private report(): void {
    this.options.changed(this.uploads.size, this.tempBytes);
  }
}
