import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { ok: true; body: Buffer }
  /**
   * `drained`: the rest of the body was read and thrown away, so the connection may be kept.
   * `declared`: the Content-Length that was refused before anything was read, when that was why.
   */
  | { ok: false; reason: 'too_large'; drained: boolean; declared?: number }
  | { ok: false; reason: 'aborted' };

/**
 * Reads a request body of at most `limit` bytes; nothing past the limit is ever kept. A larger
 * body is read on and thrown away for up to `discardLimit` more bytes (so that a client still
 * sending reads the 413 instead of a connection reset) and then left unread; a Content-Length
 * beyond limit + discardLimit is refused before anything is read. A client that goes away
 * mid-body gives `aborted`.
 */
export function readLimitedBody(request: IncomingMessage, limit: number, discardLimit: number): Promise<BodyResult> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit + discardLimit) {
    return Promise.resolve({ ok: false, reason: 'too_large', drained: false, declared });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (result: BodyResult): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onAborted);
      request.off('error', onAborted);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length <= limit) chunks.push(chunk);
      else if (length > limit + discardLimit) {
        chunks.length = 0;
        request.pause();
        finish({ ok: false, reason: 'too_large', drained: false });
      }
    };
    const onEnd = (): void => finish(length > limit
      ? { ok: false, reason: 'too_large', drained: true }
      : { ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length) });
    const onAborted = (): void => finish({ ok: false, reason: 'aborted' });
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onAborted); // before 'end': the client went away mid-body
    request.on('error', onAborted);
  });
}
