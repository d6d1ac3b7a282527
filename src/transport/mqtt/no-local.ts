/** How much one client's No Local hold may keep (the mqtt transport's max_no_local_held, max_no_local_held_bytes). */
export interface NoLocalLimits {
  maxNoLocalHeld: number;
  maxNoLocalHeldBytes: number;
}

/** Where the hold reports what it keeps (the transport's gauges) and its overflows (a counter and a warning). */
export interface NoLocalMeter {
  /** Events and their estimated bytes held: more (a hold) or fewer (decided, or dropped with the session). */
  held(events: number, bytes: number): void;
  /** The hold was full: its oldest event went on undecided (it may be the client's own); what is held now. */
  overflowed(heldEvents: number, heldBytes: number): void;
}

interface Waiting<T> {
  publication: number;
  item: T;
  bytes: number;
}

/**
 * MQTT 5 No Local (3.8.3.1): a client's own publications are not sent back to it on a
 * subscription that asked so. The router does not tell a subscriber who published (unless the
 * publisher disclosed itself), but it handles a session's publications in order and sends the
 * session the events of its own publication before the PUBLISHED that answers it. So while a
 * publication of the client is with the router, events for its No Local subscriptions wait here;
 * at each answer, those that came before it are decided: the answered publication's own are
 * dropped, the rest go on, in the order they came. Events wait no longer than the router takes to
 * answer one publication.
 *
 * That can be long (a slow dynamic authorizer), and other publishers go on meanwhile, so the hold
 * is bounded: past `maxNoLocalHeld` events or `maxNoLocalHeldBytes` bytes (estimated by `sizeOf`),
 * the oldest go on undecided, in order, counted and warned; one event alone is held whatever its
 * size. Nothing is dropped for room: at worst the client hears its own publication back.
 */
export class OwnPublications<T> {
  /** The client's publications the router has not answered yet. */
  private pending = 0;
  /** Events that came since the last answer for No Local subscriptions, oldest first. */
  private waiting: Waiting<T>[] | undefined;
  private heldBytes = 0;

  constructor(
    /** An event that turned out not to be the client's own, or went on undecided; never held again. */
    private readonly pass: (item: T) => void,
    /** About how many bytes an event keeps (payloadBytes), asked only for the events held. */
    private readonly sizeOf: (item: T) => number,
    private readonly limits: NoLocalLimits,
    private readonly meter: NoLocalMeter,
  ) {}

  /** A publication of the client goes to the router (before it is handed over: its events may come at once). */
  sent(): void {
    this.pending += 1;
  }

  /** The router answered the client's oldest publication: its id, or undefined when it was refused (then nothing was delivered). */
  answered(publication: number | undefined): void {
    this.pending -= 1;
    for (const event of this.takeWaiting()) if (event.publication !== publication) this.pass(event.item);
  }

  /** An event for a No Local subscription: true when it must wait (a publication of the client is with the router). */
  hold(publication: number, item: T): boolean {
    if (this.pending === 0) return false;
    const waiting = (this.waiting ??= []);
    const bytes = this.sizeOf(item);
    waiting.push({ publication, item, bytes });
    this.heldBytes += bytes;
    this.meter.held(1, bytes);
    const { maxNoLocalHeld, maxNoLocalHeldBytes } = this.limits;
    while (waiting.length > 1 && (waiting.length > maxNoLocalHeld || this.heldBytes > maxNoLocalHeldBytes)) {
      const oldest = waiting.shift()!;
      this.heldBytes -= oldest.bytes;
      this.meter.held(-1, -oldest.bytes);
      this.meter.overflowed(waiting.length, this.heldBytes);
      this.pass(oldest.item);
    }
    return true;
  }

  /** The session ended: what waits is let go unsent. */
  drop(): void {
    this.takeWaiting();
  }

  private takeWaiting(): Waiting<T>[] {
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    if (waiting.length > 0) this.meter.held(-waiting.length, -this.heldBytes);
    this.heldBytes = 0;
    return waiting;
  }
}
