import type { IncomingMessage } from 'node:http';
import { readLimitedBody } from '../../../transport/http-body.js';
import { ClientGone, Refusal } from './refusal.js';

/**
 * Reads a request body of at most `limit` bytes. A body that grows past the limit (whatever it
 * declared, or chunked) is refused as soon as it does and nothing more of it is kept; a declared
 * Content-Length far above it is refused before reading anything (see readLimitedBody).
 */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const read = await readLimitedBody(request, limit);
  if (read.ok) return read.body;
  if (read.reason === 'aborted') throw new ClientGone();
  const size = read.declared === undefined ? 'the body is larger than' : `the body is ${read.declared} bytes; the limit is`;
  // Unless the rest of the body is being thrown away, the connection closes after this answer.
  const headers: Record<string, string> = read.closeConnection ? { connection: 'close' } : {};
  throw new Refusal(413, 'body_too_large', `${size} ${limit} bytes (post_body_limit)`, undefined, headers);
}
