/**
 * SIGHUP asks a running router to reload its configuration. Node's default for it ends the
 * process at once, so a SIGHUP that came before the reload handler was installed (while the
 * router was still starting) killed the router. `start` takes the signal from its first moment
 * instead: one that comes before the router serves is kept and handled once it serves, since the
 * configuration the router started from may be older than the change the signal announces.
 */
export interface Hangups {
  /** From now on each SIGHUP calls `handler`; one that came before (and was not handled) calls it at once. */
  handle(handler: () => void): void;
  /** Gives SIGHUP back to Node's default: the command is done. */
  stop(): void;
}

export function takeHangups(): Hangups {
  let handler: (() => void) | undefined;
  let pending = false;
  const received = (): void => {
    if (handler) handler();
    else pending = true;
  };
  process.on('SIGHUP', received);
  return {
    handle(next) {
      handler = next;
      if (!pending) return;
      pending = false;
      next();
    },
    stop: () => void process.off('SIGHUP', received),
  };
}
