import { close, read } from 'node:fs';
import { Readable } from 'node:stream';
import { fromRandomAccessReaderPromise, RandomAccessReader, type Options, type ZipFile } from 'yauzl';

/**
 * A ZIP file read for yauzl through a stream of its own for each range (positioned reads of one
 * descriptor). yauzl's own file reader (openPromise, yauzl 3.4.0's fd-slicer) queues every read
 * of an archive one at a time, and a download cut off while its read waits in that queue throws
 * in an fs callback (an uncaught exception) and stalls the queue: every later read of the
 * archive waited forever.
 */
class FileRangeReader extends RandomAccessReader {
  constructor(private readonly fd: number) {
    super();
  }

  /** Bytes `start` to `end` (exclusive); destroying the stream leaves the descriptor open (fs read streams close it). */
  override _readStreamForRange(start: number, end: number): Readable {
    const fd = this.fd;
    let position = start;
    return new Readable({
      read(size) {
        const length = Math.min(size, end - position);
        if (length <= 0) return void this.push(null);
        const buffer = Buffer.allocUnsafe(length);
        read(fd, buffer, 0, length, position, (error, bytesRead) => {
          if (error) return void this.destroy(error);
          position += bytesRead;
          // A file shorter than the range: the stream ends early, and yauzl reports the missing bytes.
          this.push(bytesRead === 0 ? null : buffer.subarray(0, bytesRead));
        });
      },
    });
  }

  override close(callback: (error: Error | null) => void): void {
    close(this.fd, callback);
  }
}

/** The ZIP file open at `fd`, of `size` bytes; closing the ZipFile (and the end of its last stream) closes the descriptor. */
export function zipFromFd(fd: number, size: number, options: Options): Promise<ZipFile> {
  return fromRandomAccessReaderPromise(new FileRangeReader(fd), size, options);
}
