/**
 * Splits a byte stream into lines ("\n", an optional "\r" before it removed) without ever
 * holding more than `maxLineBytes` of one line: a longer line is dropped up to its newline and
 * reported by its length instead, so a program that never writes a newline costs bounded memory.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes of the current over-long line (0: the line is within the limit). */
  private overflow = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      this.take(chunk.subarray(start, end));
      if (newline === -1) return;
      this.finishLine();
      start = newline + 1;
    }
  }

  private take(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.overflow > 0 || this.held + piece.length > this.maxLineBytes + 1) {
      // +1: room for a "\r" before the newline. Past the limit, only the length is counted.
      this.overflow += (this.overflow === 0 ? this.held : 0) + piece.length;
      this.parts = [];
      this.held = 0;
      return;
    }
    this.parts.push(piece);
    this.held += piece.length;
  }

  private finishLine(): void {
    if (this.overflow > 0) {
      const bytes = this.overflow;
      this.overflow = 0;
      this.onTooLong(bytes);
      return;
    }
    let line = Buffer.concat(this.parts, this.held).toString('utf8');
    this.parts = [];
    this.held = 0;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (Buffer.byteLength(line) > this.maxLineBytes) return this.onTooLong(Buffer.byteLength(line));
    if (line.trim() !== '') this.onLine(line);
  }
}
