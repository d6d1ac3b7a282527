/** The logger the router needs: pino's call shape (fields first, then the message). */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  child(bindings: object): Logger;
}

/** The most of a text someone else chose (a client's authid, another router's ABORT message) that a log line keeps. */
const maxLoggedForeignText = 500;

/** `text` cut to a fixed length for a log line, saying how long it was: logs never carry unbounded foreign text. */
export function clipped<Text extends string | null | undefined>(text: Text): Text | string {
  return typeof text !== 'string' || text.length <= maxLoggedForeignText ? text : `${text.slice(0, maxLoggedForeignText)}… (${text.length} characters)`;
}

/** A logger that drops everything, for tests and embedded use. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/**
 * A child logger that costs one small object until it writes: each line merges the bindings into
 * its fields and goes to the parent. pino's own child builds its bindings string, serializers and
 * symbols at once (about 0.5 KiB); a session or connection needs one and rarely logs. A child of
 * it chains to it rather than copying the bindings: an object spread gets a hidden class of its
 * own, another 200 bytes per session.
 */
export function boundLogger(parent: Logger, bindings: object): Logger {
  return new BoundLogger(parent, bindings);
}

class BoundLogger implements Logger {
  constructor(private readonly parent: Logger, private readonly bindings: object) {}

  debug(fields: object, message: string): void {
    this.parent.debug({ ...this.bindings, ...fields }, message);
  }

  info(fields: object, message: string): void {
    this.parent.info({ ...this.bindings, ...fields }, message);
  }

  warn(fields: object, message: string): void {
    this.parent.warn({ ...this.bindings, ...fields }, message);
  }

  error(fields: object, message: string): void {
    this.parent.error({ ...this.bindings, ...fields }, message);
  }

  child(bindings: object): Logger {
    return new BoundLogger(this, bindings);
  }
}
