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
  const length = Number(request.headers['content-length']);
  const declared = Number.isFinite(length) ? { declared: length } : {};
  if (length > limit + discardLimit) return Promise.resolve({ ok: false, reason: 'too_large', closeConnection: true, declared: length });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (result: BodyResult): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onAborted);
      request.off('error', onAborted);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received <= limit) return void chunks.push(chunk);
      chunks.length = 0;
      finish({ ok: false, reason: 'too_large', closeConnection: false, ...declared });
      discardRest(request, received - limit, discardLimit);
    };
    const onEnd = (): void => finish({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received) });
    const onAborted = (): void => finish({ ok: false, reason: 'aborted' });
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onAborted); // before 'end': the client went away mid-body
    request.on('error', onAborted);
  });
}

/** Reads the rest of a refused body and drops it; past `limit` bytes (counting `already`) the connection is destroyed. */
function discardRest(request: IncomingMessage, already: number, limit: number): void {
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
