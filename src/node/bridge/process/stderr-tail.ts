/**
 * The end of a program's stderr: the last `maxBytes` bytes, of which the last `maxLines` lines
 * are reported. A program may write megabytes of diagnostics; only the end explains a failure.
 */
export class StderrTail {
  private tail: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes = 4096, private readonly maxLines = 20) {}

  push(chunk: Buffer): void {
    const joined = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = joined.length > this.maxBytes ? Buffer.from(joined.subarray(joined.length - this.maxBytes)) : joined;
  }

  /** The last lines, trailing blank lines dropped ("" when the program wrote nothing). */
  text(): string {
    const lines = this.tail.toString('utf8').split(/\r?\n/);
    while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
    return lines.slice(-this.maxLines).join('\n');
  }
}
