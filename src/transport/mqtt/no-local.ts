/**
 * MQTT 5 No Local (3.8.3.1): a client's own publications are not sent back to it on a
 * subscription that asked so. The router does not tell a subscriber who published (unless the
 * publisher disclosed itself), but it handles a session's publications in order and sends the
 * session the events of its own publication before the PUBLISHED that answers it. So while a
 * publication of the client is with the router, events for its No Local subscriptions wait here;
 * at each answer, those that came before it are decided: the answered publication's own are
 * dropped, the rest go on, in the order they came. Events wait no longer than the router takes to
 * answer one publication.
 */
export class OwnPublications<T> {
  /** The client's publications the router has not answered yet. */
  private pending = 0;
  /** Events that came since the last answer for No Local subscriptions, with their publication id. */
  private waiting: { publication: number; item: T }[] | undefined;

  /** `pass`: an event that turned out not to be the client's own. */
  constructor(private readonly pass: (item: T) => void) {}

  /** A publication of the client goes to the router (before it is handed over: its events may come at once). */
  sent(): void {
    this.pending += 1;
  }

  /** The router answered the client's oldest publication: its id, or undefined when it was refused (then nothing was delivered). */
  answered(publication: number | undefined): void {
    this.pending -= 1;
    const waiting = this.waiting;
    this.waiting = undefined;
    for (const event of waiting ?? []) if (event.publication !== publication) this.pass(event.item);
  }

  /** An event for a No Local subscription: true when it must wait (a publication of the client is with the router). */
  hold(publication: number, item: T): boolean {
    if (this.pending === 0) return false;
    (this.waiting ??= []).push({ publication, item });
    return true;
  }
}
