/**
 * SIGHUP asks a running router to reload its configuration. Node's default for it ends the
 * process at once, so a SIGHUP that came before the reload handler was installed (while the
 * router was still starting) killed the router. `start` takes the signal from its first moment
 * instead: one that comes before the router serves is kept and handled once it serves, since the
 * configuration the router started from may be older than the change the signal announces.
 * The `junction` script takes it before it loads the command's modules (a few hundred ms), and
 * `start` then gets that same taker: there is one per process until it is stopped.
 */
export interface Hangups {
  /** From now on each SIGHUP calls `handler`; one that came before (and was not handled) calls it at once. */
  handle(handler: () => void): void;
  /** As a SIGHUP would: the control socket's reload reaches a --workers parent this way. */
  raise(): void;
  /** Gives SIGHUP back to Node's default: the command is done. */
  stop(): void;
}

let taken: Hangups | undefined;

export function takeHangups(): Hangups {
  if (taken) return taken;
  let handler: (() => void) | undefined;
  let pending = false;
  const received = (): void => {
    if (handler) handler();
    else pending = true;
  };
  process.on('SIGHUP', received);
  const hangups: Hangups = {
    handle(next) {
      handler = next;
      if (!pending) return;
      pending = false;
      next();
    },
    raise: received,
    stop() {
      process.off('SIGHUP', received);
      if (taken === hangups) taken = undefined;
    },
  };
  taken = hangups;
  return hangups;
}
