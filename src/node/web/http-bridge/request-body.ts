import type { IncomingMessage } from 'node:http';
import { readLimitedBody } from '../../../transport/http-body.js';
import { ClientGone, Refusal } from './refusal.js';

/**
 * Reads a request body of at most `limit` bytes. A declared Content-Length above the limit is
 * refused before reading anything; a body that grows past the limit (whatever it declared, or
 * chunked) is refused as soon as it does, and nothing more of it is kept.
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const read = await readLimitedBody(request, limit, 0);
  if (read.ok) return read.body;
  if (read.reason === 'aborted') throw new ClientGone();
  throw tooLarge(limit, read.declared);
}

function tooLarge(limit: number, declared?: number): Refusal {
  const size = declared === undefined ? 'the body is larger than' : `the body is ${declared} bytes; the limit is`;
  // The rest of the body is not read: the connection closes after this answer.
  return new Refusal(413, 'body_too_large', `${size} ${limit} bytes (post_body_limit)`, undefined, { connection: 'close' });
}
