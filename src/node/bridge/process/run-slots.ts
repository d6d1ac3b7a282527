import { plural } from '../../../protocol/plural.js';

/** No slot is free and the waiting line is full. */
export class QueueFullError extends Error {}

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * At most `concurrency` runs at once; up to `queueLimit` more calls wait in line (first come,
 * first served); beyond that a call is refused at once rather than piling up.
 */
export class RunSlots {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly concurrency: number, readonly queueLimit: number) {}

  get runningCount(): number {
    return this.running;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * Resolves once a slot is held (call release() after the run). Rejects with QueueFullError when
   * the line is full, or with the signal's reason if it is aborted while waiting.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    if (this.running < this.concurrency) {
      this.running += 1;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.queueLimit) {
      return Promise.reject(new QueueFullError(`${plural(this.running, 'run')} in progress and ${plural(this.waiting.length, 'call')} waiting`));
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index !== -1) this.waiting.splice(index, 1);
        reject(signal!.reason as Error);
      };
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Frees a slot; the first waiting call takes it over. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next.resolve(); // the slot passes on: `running` stays the same
    else this.running -= 1;
  }

  /** Refuses every waiting call (the component stops). */
  rejectWaiting(error: Error): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}
