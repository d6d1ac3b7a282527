/**
 * Live events on their way to a stream. While the stream is being set up (subscriptions not yet
 * all confirmed, history being replayed) events are held, in order and bounded in bytes; `release`
 * then writes them, skipping those the replay already carried. A held event is kept as the caller
 * likes (`Held`) and turned into its message only at release, after the replay: its `id` must
 * also cover what the replay carried (sse-service.ts, StreamPlace).
 *
 * One publication can reach a stream through two of its subscriptions (`topic=news` and
 * `prefix=news`): the broker hands all of a publication's events out in one synchronous pass, so
 * they arrive one after the other and comparing with the previous publication ID drops the repeat.
 */
export class EventFeed<Held> {
  private held: { publication: number; event: Held }[] | undefined = [];
  private heldBytes = 0;
  private lastPublication = 0;

  constructor(
    private readonly limitBytes: number,
    private readonly write: (text: string | Uint8Array) => void,
    /** Called once when more than `limitBytes` are held. */
    private readonly overflow: () => void,
  ) {}

  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Whether `publication` just came through another subscription of the stream (then it is not offered again). */
  repeats(publication: number): boolean {
    if (publication === this.lastPublication) return true;
    this.lastPublication = publication;
    return false;
  }

  /** A live event once released (`holding` is false): written at once. */
  push(text: string | Uint8Array): void {
    this.write(text);
  }

  /** A live event while `holding`: kept until release, counted as `bytes`. */
  hold(publication: number, event: Held, bytes: number): void {
    if (!this.held) return;
    this.held.push({ publication, event });
    this.heldBytes += bytes;
    if (this.heldBytes > this.limitBytes) {
      this.held = [];
      this.heldBytes = 0;
      this.overflow();
    }
  }

  /** Writes what was held, made into messages by `message`, except publications in `skip`; lets events through from now on. */
  release(message: (event: Held) => string | Uint8Array, skip: ReadonlySet<number> = new Set()): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    for (const { publication, event } of held) if (!skip.has(publication)) this.write(message(event));
  }
}
