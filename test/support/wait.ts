/** Polls `condition` until it holds, failing after `timeoutMs`: for state with no event to await. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Polls `read` until its value has not changed for `quietMs`, failing after `timeoutMs`: for a
 * quantity that moves until something stops it (a buffer filling, a queue growing). Returns it.
 */
export async function steady(read: () => number, what: string, timeoutMs = 10_000, quietMs = 500): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let value = read();
  let since = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = read();
    if (now !== value) {
      value = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last ${value})`);
  }
}

/**
 * What `promise` gives, failing after `timeoutMs` with what was awaited (and `detail()`, what is
 * known then): for an event that may never come (a process's exit), which would otherwise hold
 * the test file, saying nothing, until the runner's timeout.
 */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs: number, detail = (): string => ''): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail()}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Retries `attempt` until it gives a value (a rejection counts as none yet), failing after 10 s:
 * for what one cluster node does that reaches the others asynchronously.
 */
export async function eventually<T>(attempt: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How a test client's source explains a wait that failed. */
export interface ArrivalSource {
  /** Why nothing more will arrive (the connection closed, the process exited), or undefined while more may. */
  stopped(): string | undefined;
  /** What did arrive, for the error message. */
  received(): string;
}

/**
 * Waiting without polling on what a test client collects (messages, log lines, events): the client
 * calls wake() on every arrival and when its source stops; until() resolves once a condition
 * holds, and rejects as soon as the source has stopped without it, or after `timeoutMs`.
 */
export class Arrivals {
  private waiters: (() => void)[] = [];

  constructor(private readonly source: ArrivalSource) {}

  wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  async until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const stopped = this.source.stopped();
      if (stopped !== undefined) throw new Error(`${stopped} before ${what}; ${this.source.received()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.source.received()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
