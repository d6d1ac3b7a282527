import { Refusal } from './refusal.js';

interface Deadline {
  /** When it expires, in `now()` milliseconds. */
  readonly at: number;
  readonly expire: () => void;
  prev: Deadline | undefined;
  next: Deadline | undefined;
  listed: boolean;
}

/**
 * The deadlines of one bridge service's requests: a list ordered by expiry with one timer, armed
 * for the earliest. A Node timer per request was the visible cost here: a publication is usually
 * acknowledged within the same turn, so each timer was cleared at once, which emptied Node's list
 * for that duration, and the next request's setTimeout made a new list and queued it again.
 * Settling removes a deadline from the list and leaves the timer alone; a timer that fires early
 * (its deadline settled) arms itself for the new earliest one, if any.
 */
export class DeadlineList {
  private first: Deadline | undefined;
  private last: Deadline | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private count = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Resolves or fails as `promise` does, or fails with a 504 refusal once `ms` passed: no request waits forever on the router. */
  within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = this.add(ms, () => reject(new Refusal(504, 'no_answer', `${what} within ${ms} ms`)));
      promise.then(
        (value) => {
          this.remove(deadline);
          resolve(value);
        },
        (error: unknown) => {
          this.remove(deadline);
          reject(error);
        },
      );
    });
  }

  /** Deadlines not yet settled or expired. */
  get size(): number {
    return this.count;
  }

  private add(ms: number, expire: () => void): Deadline {
    const deadline: Deadline = { at: this.now() + ms, expire, prev: undefined, next: undefined, listed: true };
    // Durations of one service are mostly equal, so a new deadline almost always goes last.
    let before = this.last;
    while (before && before.at > deadline.at) before = before.prev;
    deadline.prev = before;
    deadline.next = before ? before.next : this.first;
    if (deadline.next) deadline.next.prev = deadline;
    else this.last = deadline;
    if (before) before.next = deadline;
    else this.first = deadline;
    this.count++;
    if (deadline.at < this.timerAt) this.arm(deadline.at);
    return deadline;
  }

  private remove(deadline: Deadline): void {
    if (!deadline.listed) return;
    deadline.listed = false;
    this.count--;
    if (deadline.prev) deadline.prev.next = deadline.next;
    else this.first = deadline.next;
    if (deadline.next) deadline.next.prev = deadline.prev;
    else this.last = deadline.prev;
    deadline.prev = deadline.next = undefined;
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.timerAt = at;
    // Unref'd: the requests' connections keep the process alive, not their deadlines (nor a
    // deadline list whose service is gone: its timer runs out and lets it go).
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now())).unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    while (this.first && this.first.at <= now) {
      const expired = this.first;
      this.remove(expired);
      expired.expire();
    }
    if (this.first) this.arm(this.first.at);
  }
}
