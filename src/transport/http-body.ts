import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { ok: true; body: Buffer }
  /**
   * `closeConnection`: nothing of the body was read (its Content-Length was refused), so the
   * answer must close the connection; otherwise the rest of the body is being read and thrown
   * away and the connection may be kept. `declared`: the refused Content-Length, when that was why.
   */
  | { ok: false; reason: 'too_large'; closeConnection: boolean; declared?: number }
  | { ok: false; reason: 'aborted' };

/**
 * Bytes of an oversized body read and thrown away after the 413 is sent. A client that writes its
 * whole body before it reads the answer (Python's http.client, PHP streams) would otherwise get a
 * connection reset and lose the 413: closing a socket with unread data makes the kernel send RST,
 * and the client's kernel then drops the answer it had not read yet. Past this many bytes the
 * connection is destroyed. Time is bounded by the listener's request body timeout.
 */
export const DISCARD_LIMIT = 16 * 1024 * 1024;

/**
 * Reads a request body of at most `limit` bytes; nothing past the limit is ever kept. A larger
 * body is answered at once (too_large) while the rest of it is read and thrown away for up to
 * `discardLimit` more bytes, so the client reads the 413 instead of a connection reset; past that
 * the connection is destroyed. A Content-Length beyond limit + discardLimit is refused before
 * anything is read. A client that goes away mid-body gives `aborted`.
 */
export function readLimitedBody(request: IncomingMessage, limit: number, discardLimit = DISCARD_LIMIT): Promise<BodyResult> {
  return new Promise((resolve) => readLimitedBodyThen(request, limit, resolve, discardLimit));
}

/**
 * readLimitedBody for callers that take the result without a promise (the HTTP publisher, which
 * answers in the same turn when it can). `done` is called once: with the body as soon as its
 * declared Content-Length has arrived (without waiting for the stream's 'end', a tick later), or
 * at the stream's end for a chunked body; at once (in this call) when the declared length is
 * refused before reading, or when the request was destroyed already.
 */
export function readLimitedBodyThen(request: IncomingMessage, limit: number, done: (result: BodyResult) => void, discardLimit = DISCARD_LIMIT): void {
  // Destroyed before its handler came to read it (the client left while the handler awaited something): its 'close' is past.
  if (request.destroyed) return done({ ok: false, reason: 'aborted' });
  const header = request.headers['content-length'];
  const length = header === undefined ? NaN : Number(header);
  if (length > limit + discardLimit) return done({ ok: false, reason: 'too_large', closeConnection: true, declared: length });
  new BodyReader(request, limit, discardLimit, Number.isFinite(length) ? length : undefined, done);
}

/**
 * One body being read: its listeners are methods of one object, not a closure each per request.
 * No 'error' listener: an IncomingMessage emits 'error' only to listeners it has, and 'close' in
 * every case, so 'close' before the body is complete says the client went away.
 */
class BodyReader {
  /** The body's first chunk, usually all of it; a list only for the rest of a body in several. */
  private first: Buffer | undefined;
  private more: Buffer[] | undefined;
  private received = 0;
  private readonly onData = (chunk: Buffer): void => this.data(chunk);
  private readonly onEnd = (): void => this.finish(this.body());
  private readonly onAborted = (): void => this.finish({ ok: false, reason: 'aborted' });

  constructor(
    private readonly request: IncomingMessage,
    private readonly limit: number,
    private readonly discardLimit: number,
    /** The Content-Length; Node's parser delivers exactly that many body bytes, so their arrival is the end. */
    private readonly declared: number | undefined,
    private readonly done: (result: BodyResult) => void,
  ) {
    request.on('data', this.onData);
    // Only a chunked or empty body needs the stream's end to know it is complete.
    if (!declared) request.on('end', this.onEnd);
    request.on('close', this.onAborted);
  }

  private data(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.received > this.limit) {
      this.first = this.more = undefined;
      this.finish({ ok: false, reason: 'too_large', closeConnection: false, ...(this.declared === undefined ? {} : { declared: this.declared }) });
      discardRest(this.request, this.received - this.limit, this.discardLimit);
      return;
    }
    if (this.first === undefined) this.first = chunk;
    else (this.more ??= []).push(chunk);
    if (this.received === this.declared) this.finish(this.body());
  }

  private body(): BodyResult {
    const { first, more } = this;
    if (first === undefined) return { ok: true, body: Buffer.alloc(0) };
    return { ok: true, body: more === undefined ? first : Buffer.concat([first, ...more], this.received) };
  }

  private finish(result: BodyResult): void {
    const request = this.request;
    request.off('data', this.onData);
    if (!this.declared) request.off('end', this.onEnd);
    request.off('close', this.onAborted);
    this.done(result);
  }
}

/** Reads the rest of a refused body and drops it; past `limit` bytes (counting `already`) the connection is destroyed. */
export function discardRest(request: IncomingMessage, already: number, limit: number): void {
  let discarded = already;
  const check = (): void => {
    if (discarded > limit) request.socket.destroy();
  };
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    check();
  });
  request.on('error', () => {}); // the client's reset while we drop its body ends only this connection
  check();
}
