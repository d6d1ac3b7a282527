import type { SecretsMask } from '../../../config/mask-secrets.js';

/** Masks nothing: a program given no secrets. */
const noSecrets: SecretsMask = Object.assign((text: string) => text, { longestBytes: 0, cutBefore: (_text: string, at: number) => at });

/**
 * The end of a program's stderr: the last `maxBytes` bytes, of which the last `maxLines` lines
 * are reported, with the program's secrets masked. A program may write megabytes of diagnostics;
 * only the end explains a failure.
 *
 * The secrets are masked before either cut: a secret that straddles a cut is masked whole
 * (the tail then starts with the mark), where masking the cut text would miss its remaining part.
 * For that the tail keeps `secrets.longestBytes` more bytes than it reports.
 */
export class StderrTail {
  private tail: Buffer = Buffer.alloc(0);
  private readonly keptBytes: number;

  constructor(private readonly secrets: SecretsMask = noSecrets, private readonly maxBytes = 4096, private readonly maxLines = 20) {
    this.keptBytes = maxBytes + secrets.longestBytes;
  }

  push(chunk: Buffer): void {
    const joined = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    this.tail = joined.length > this.keptBytes ? Buffer.from(joined.subarray(joined.length - this.keptBytes)) : joined;
  }

  /** The last lines, masked, trailing blank lines dropped ("" when the program wrote nothing). */
  text(): string {
    const text = this.tail.toString('utf8');
    const byteCut = charStart(this.tail, Math.max(0, this.tail.length - this.maxBytes));
    const cut = this.secrets.cutBefore(text, this.tail.subarray(0, byteCut).toString('utf8').length);
    const lines = this.secrets(text.slice(cut)).split(/\r?\n/);
    while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop();
    return lines.slice(-this.maxLines).join('\n');
  }
}

/** The first offset at or after `offset` where a UTF-8 character starts (not a continuation byte 10xxxxxx). */
function charStart(bytes: Buffer, offset: number): number {
  let start = offset;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start += 1;
  return start;
}
