/**
 * A single-consumer async queue: the producer pushes, the consumer iterates with `for await`.
 * It backs subscription iterators, call streams and status streams. Leaving the loop early
 * (break / return) runs `onReturn`, so the owner can release what feeds the channel.
 */
export class Channel<T> implements AsyncIterableIterator<T> {
  readonly #items: T[] = [];
  #waiting: ((result: IteratorResult<T>) => void) | undefined;
  #failWaiting: ((error: unknown) => void) | undefined;
  #ended = false;
  #failure: unknown;

  readonly #onReturn: (() => void) | undefined;

  constructor(onReturn?: () => void) {
    this.#onReturn = onReturn;
  }

  push(item: T): void {
    if (this.#ended) return;
    const resolve = this.#waiting;
    if (resolve) {
      this.#waiting = this.#failWaiting = undefined;
      resolve({ value: item, done: false });
    } else {
      this.#items.push(item);
    }
  }

  /** Ends the stream after the queued items; with an error, the consumer's loop throws it. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = error;
    const resolve = this.#waiting;
    const reject = this.#failWaiting;
    this.#waiting = this.#failWaiting = undefined;
    if (error !== undefined && reject) reject(error);
    else resolve?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift()!, done: false });
    if (this.#ended) {
      const error = this.#failure;
      this.#failure = undefined;
      return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    const wasEnded = this.#ended;
    this.#items.length = 0;
    this.end();
    if (!wasEnded) this.#onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
