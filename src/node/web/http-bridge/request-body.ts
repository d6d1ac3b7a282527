import type { BodyResult } from '../../../transport/http-body.js';
import { ClientGone, Refusal } from './refusal.js';

/**
 * The body of a request read with readLimitedBody / readLimitedBodyThen under `limit` bytes
 * (post_body_limit), or why there is none: a 413 Refusal (a body that grew past the limit,
 * whatever it declared, or chunked, is refused as soon as it does; a declared Content-Length far
 * above it before anything is read), or ClientGone when the client left mid-body.
 */
export function bodyOf(read: BodyResult, limit: number): Buffer {
  if (read.ok) return read.body;
  if (read.reason === 'aborted') throw new ClientGone();
  const size = read.declared === undefined ? 'the body is larger than' : `the body is ${read.declared} bytes; the limit is`;
  // Unless the rest of the body is being thrown away, the connection closes after this answer.
  const headers: Record<string, string> = read.closeConnection ? { connection: 'close' } : {};
  throw new Refusal(413, 'body_too_large', `${size} ${limit} bytes (post_body_limit)`, undefined, headers);
}
