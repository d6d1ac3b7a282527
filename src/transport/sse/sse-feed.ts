/**
 * Live events on their way to a stream. While the stream is being set up (subscriptions not yet
 * all confirmed, history being replayed) events are held, in order and bounded in bytes; `release`
 * then writes them, skipping those the replay already carried.
 *
 * One publication can reach a stream through two of its subscriptions (`topic=news` and
 * `prefix=news`): the broker hands all of a publication's events out in one synchronous pass, so
 * they arrive one after the other and comparing with the previous publication ID drops the repeat.
 */
export class EventFeed {
  private held: { publication: number; text: string | Uint8Array }[] | undefined = [];
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

  push(publication: number, text: string | Uint8Array): void {
    if (publication === this.lastPublication) return;
    this.lastPublication = publication;
    if (!this.held) return this.write(text);
    this.held.push({ publication, text });
    this.heldBytes += text.length;
    if (this.heldBytes > this.limitBytes) {
      this.held = [];
      this.heldBytes = 0;
      this.overflow();
    }
  }

  /** Writes what was held, except publications in `skip`, and lets events through from now on. */
  release(skip: ReadonlySet<number> = new Set()): void {
    const held = this.held ?? [];
    this.held = undefined;
    this.heldBytes = 0;
    for (const { publication, text } of held) if (!skip.has(publication)) this.write(text);
  }
}
