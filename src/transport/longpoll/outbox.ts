export interface OutboxLimits {
  /** Bytes waiting between two receives (Crossbar's queue_limit_bytes). */
  bytes: number;
  /** Messages waiting between two receives (Crossbar's queue_limit_messages). */
  messages: number;
}

/**
 * The encoded messages waiting for a long-poll client's next `receive`, bounded in bytes and in
 * messages. A message that would pass either limit is refused (the caller closes the transport);
 * one message is always accepted into an empty outbox, so a single large RESULT does not need a
 * byte limit above max_message_size. Memory is therefore bounded by the byte limit plus one
 * message.
 */
export class Outbox {
  private frames: Uint8Array[] = [];
  private head = 0;
  private queuedBytes = 0;

  constructor(private readonly limits: OutboxLimits) {}

  get size(): number {
    return this.frames.length - this.head;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** Queues a message; false (and nothing queued) when it would pass a limit. */
  push(frame: Uint8Array): boolean {
    const size = this.size;
    if (size > 0 && (size + 1 > this.limits.messages || this.queuedBytes + frame.byteLength > this.limits.bytes)) return false;
    this.frames.push(frame);
    this.queuedBytes += frame.byteLength;
    return true;
  }

  /** Removes and returns the oldest message, or every waiting message (`all`), in order. */
  take(all: boolean): Uint8Array[] {
    if (this.size === 0) return [];
    let taken: Uint8Array[];
    if (all) {
      taken = this.head === 0 ? this.frames : this.frames.slice(this.head);
      this.frames = [];
      this.head = 0;
    } else {
      taken = [this.frames[this.head]!];
      this.frames[this.head++] = EMPTY;
      // Compact now and then instead of shifting the array for every message.
      if (this.head >= 64 && this.head * 2 >= this.frames.length) {
        this.frames = this.frames.slice(this.head);
        this.head = 0;
      }
    }
    for (const frame of taken) this.queuedBytes -= frame.byteLength;
    return taken;
  }

  clear(): void {
    this.frames = [];
    this.head = 0;
    this.queuedBytes = 0;
  }
}

const EMPTY = new Uint8Array(0);
