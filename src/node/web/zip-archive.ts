import { close, fstat, open } from 'node:fs';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import type { Entry, ZipFile } from 'yauzl';
import { zipFromFd } from './zip-file-reader.js';

/**
 * Opens an archive file for reading, once: its hash is checked and its contents served through
 * this one descriptor, so a file put in its place meanwhile is neither checked nor served.
 */
export const openArchiveFile = (path: string): Promise<number> => promisify(open)(path, 'r');

/** The descriptor's file is a regular file (not a folder or a device put under the archive's name). */
export async function isRegularFile(fd: number): Promise<boolean> {
  return (await promisify(fstat)(fd)).isFile();
}

/** What an archive may hold before it is refused at load: bounds against zip bombs and oversized apps. */
export const archiveLimits = {
  /** The archive file itself, and a download of it. */
  maxArchiveBytes: 1024 * 1024 * 1024,
  maxEntries: 50_000,
  /** One file, uncompressed. */
  maxEntryBytes: 256 * 1024 * 1024,
  /** Every file together, uncompressed. */
  maxTotalBytes: 1024 * 1024 * 1024,
  /** Uncompressed over compressed size, for files from `ratioCheckedFrom` bytes up (small files of one repeated byte compress far more). */
  maxCompressionRatio: 200,
  ratioCheckedFrom: 1024 * 1024,
} as const;

export type ArchiveLimits = { [Key in keyof typeof archiveLimits]: number };

/** Why an archive was refused at load; the label of junction_archive_refused_total. */
export type ArchiveRefusal = 'corrupt' | 'unsafe_name' | 'over_limit' | 'unsupported';

export class ArchiveRefusedError extends Error {
  constructor(
    readonly reason: ArchiveRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** yauzl's words for a name that would climb out of the archive or hide a separator (it refuses those itself). */
const unsafeNameMessage = /^(invalid relative path|absolute path|invalid characters in fileName): /;

/**
 * A ZIP archive opened for serving: its table of contents read and every file's data checked
 * once at load (sizes as declared, CRC-32 intact), so that what is served later is what the
 * archive says. The file stays open; replacing it on disk (a rename) does not change what is
 * served until the path is built again.
 */
export class ZipArchive {
  private constructor(
    private readonly zip: ZipFile,
    private readonly files: ReadonlyMap<string, Entry>,
    private readonly folders: ReadonlySet<string>,
    /** The archive file's modification time, the Last-Modified of its files. */
    readonly modifiedMs: number,
  ) {}

  /**
   * Reads and checks the archive open at `fd` (openArchiveFile), which it then owns: closed when
   * it is refused, or by close(). Throws ArchiveRefusedError for an archive that is damaged,
   * unsafe or over `limits`.
   */
  static async fromFd(fd: number, limits: ArchiveLimits = archiveLimits): Promise<ZipArchive> {
    let zip: ZipFile;
    let modifiedMs: number;
    try {
      const info = await promisify(fstat)(fd);
      if (info.size > limits.maxArchiveBytes) throw new ArchiveRefusedError('over_limit', `it has ${info.size} bytes, more than the ${limits.maxArchiveBytes} allowed`);
      modifiedMs = info.mtimeMs;
      zip = await zipFromFd(fd, info.size, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }).catch((error: unknown) => {
        throw new ArchiveRefusedError('corrupt', `it is not a readable ZIP file (${(error as Error).message})`);
      });
    } catch (error) {
      close(fd, () => {});
      throw error;
    }
    try {
      if (zip.entryCount > limits.maxEntries) throw new ArchiveRefusedError('over_limit', `it has ${zip.entryCount} entries, more than the ${limits.maxEntries} allowed`);
      const { files, folders } = await readContents(zip, limits);
      return new ZipArchive(zip, files, folders, modifiedMs);
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  /** The file called `name` ("css/app.css"), if the archive has one. */
  file(name: string): Entry | undefined {
    return this.files.get(name);
  }

  /** True for "" (the archive's top) and every folder that holds a file. */
  isFolder(name: string): boolean {
    return this.folders.has(name);
  }

  get fileCount(): number {
    return this.files.size;
  }

  /** A file's uncompressed bytes; the stream fails if they are not the size the archive declares. */
  read(entry: Entry): Promise<Readable> {
    return this.zip.openReadStreamPromise(entry);
  }

  /** Closes the descriptor once the streams already open have ended. */
  close(): void {
    this.zip.close();
  }
}

async function readContents(zip: ZipFile, limits: ArchiveLimits): Promise<{ files: Map<string, Entry>; folders: Set<string> }> {
  const files = new Map<string, Entry>();
  const folders = new Set<string>(['']);
  let totalBytes = 0;
  for await (const entry of entries(zip)) {
    const name = entry.fileName;
    if (name.endsWith('/')) {
      addFolders(folders, name.slice(0, -1));
      continue;
    }
    if (files.has(name)) throw new ArchiveRefusedError('unsafe_name', `the entry "${name}" appears twice`);
    if (entry.isEncrypted() || !entry.canDecodeFileData()) {
      throw new ArchiveRefusedError('unsupported', `the entry "${name}" is encrypted or uses a compression method other than deflate or none`);
    }
    const size = entry.uncompressedSize;
    if (size > limits.maxEntryBytes) throw new ArchiveRefusedError('over_limit', `the entry "${name}" has ${size} bytes uncompressed, more than the ${limits.maxEntryBytes} allowed`);
    totalBytes += size;
    if (totalBytes > limits.maxTotalBytes) throw new ArchiveRefusedError('over_limit', `its files hold more than ${limits.maxTotalBytes} bytes uncompressed`);
    if (size >= limits.ratioCheckedFrom && size > limits.maxCompressionRatio * Math.max(entry.compressedSize, 1)) {
      throw new ArchiveRefusedError('over_limit', `the entry "${name}" expands ${Math.round(size / Math.max(entry.compressedSize, 1))} times, more than the ${limits.maxCompressionRatio} allowed`);
    }
    await checkData(zip, entry);
    files.set(name, entry);
    addFolders(folders, name.split('/').slice(0, -1).join('/'));
  }
  return { files, folders };
}

/** The archive's entries, with yauzl's refusals of a name or a record told apart. */
async function* entries(zip: ZipFile): AsyncGenerator<Entry> {
  const iterator = zip.eachEntry();
  for (;;) {
    let next: IteratorResult<Entry>;
    try {
      next = await iterator.next();
    } catch (error) {
      const message = (error as Error).message;
      if (unsafeNameMessage.test(message)) throw new ArchiveRefusedError('unsafe_name', `an entry's name leads outside the archive (${message})`);
      throw new ArchiveRefusedError('corrupt', `its table of contents is damaged (${message})`);
    }
    if (next.done) return;
    yield next.value;
  }
}

/** Reads the whole file once: the size the archive declares (yauzl stops a stream that goes past it) and its CRC-32. */
async function checkData(zip: ZipFile, entry: Entry): Promise<void> {
  let checksum = 0;
  try {
    for await (const chunk of await zip.openReadStreamPromise(entry)) checksum = crc32(chunk as Buffer, checksum);
  } catch (error) {
    throw new ArchiveRefusedError('corrupt', `the entry "${entry.fileName}" is damaged (${(error as Error).message})`);
  }
  if (checksum !== entry.crc32) throw new ArchiveRefusedError('corrupt', `the entry "${entry.fileName}" is damaged (its CRC-32 does not match)`);
}

/** `folder` and each folder above it ("a/b" -> "a/b", "a"). */
function addFolders(folders: Set<string>, folder: string): void {
  for (let name = folder; name !== '' && !folders.has(name); name = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '') folders.add(name);
}
