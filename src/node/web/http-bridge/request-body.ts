import type { IncomingMessage } from 'node:http';
import { ClientGone, Refusal } from './refusal.js';

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length above the limit is
 * refused before reading anything; a body that grows past the limit (whatever it declared, or
 * chunked) is refused as soon as it does, and nothing more of it is kept.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit, declared));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish(tooLarge(limit));
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => finish();
    const onError = (): void => finish(new ClientGone());
    const onClose = (): void => {
      if (!request.complete) finish(new ClientGone());
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

function tooLarge(limit: number, declared?: number): Refusal {
  const size = declared === undefined ? 'the body is larger than' : `the body is ${declared} bytes; the limit is`;
  // The rest of the body is not read: the connection closes after this answer.
  return new Refusal(413, 'body_too_large', `${size} ${limit} bytes (post_body_limit)`, undefined, { connection: 'close' });
}
