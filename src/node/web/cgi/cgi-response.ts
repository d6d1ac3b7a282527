/**
 * The header block a CGI script writes before its body (RFC 3875 section 6): header lines ended
 * by LF or CRLF, then an empty line. `Status: 404 Not Found` sets the status; `Location` without
 * a Status is a 302 redirect (as Twisted's CGI does, for a local path as for a URL); every other
 * header goes to the client, apart from those that belong to Junction's own connection.
 */

import type { OutgoingHttpHeaders } from 'node:http';

/** What a script's header block says: the status, its reason phrase when the script gave one, and the headers. */
export interface CgiHead {
  status: number;
  reason: string | undefined;
  headers: OutgoingHttpHeaders;
}

/** A header block the client cannot be given; the message says what is wrong with it. */
export class BadCgiHeaders extends Error {}

/** Headers of Junction's connection to the client, which Node writes itself. */
const connectionHeaders = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-connection']);

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible characters, spaces and tabs (obs-text included); no control characters.
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Collects a script's stdout until the end of its header block, holding at most `maxBytes` of it.
 * push() returns undefined while the block is incomplete, then the parsed head and the bytes of
 * body that came with it; it throws BadCgiHeaders for a malformed or oversized block.
 */
export class CgiHeadReader {
  private held: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): { head: CgiHead; body: Buffer } | undefined {
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const end = headBlockEnd(this.held);
    if (end === undefined) {
      if (this.held.length > this.maxBytes) throw new BadCgiHeaders(`the script wrote more than ${this.maxBytes} bytes without ending its headers with an empty line (options.max_response_header_bytes)`);
      return undefined;
    }
    if (end.headEnd > this.maxBytes) throw new BadCgiHeaders(`the script's headers are longer than ${this.maxBytes} bytes (options.max_response_header_bytes)`);
    const head = parseCgiHead(this.held.subarray(0, end.headEnd).toString('latin1'));
    const body = this.held.subarray(end.bodyStart);
    this.held = Buffer.alloc(0);
    return { head, body };
  }

  /** Whether the script wrote anything at all yet. */
  get started(): boolean {
    return this.held.length > 0;
  }
}

/** Where the empty line that ends the header block is: the block before it, the body after it. */
function headBlockEnd(bytes: Buffer): { headEnd: number; bodyStart: number } | undefined {
  // An empty first line: the script wrote no headers at all.
  if (bytes[0] === 0x0a) return { headEnd: 0, bodyStart: 1 };
  if (bytes[0] === 0x0d && bytes[1] === 0x0a) return { headEnd: 0, bodyStart: 2 };
  for (let at = bytes.indexOf(0x0a); at >= 0; at = bytes.indexOf(0x0a, at + 1)) {
    if (bytes[at + 1] === 0x0a) return { headEnd: at, bodyStart: at + 2 };
    if (bytes[at + 1] === 0x0d && bytes[at + 2] === 0x0a) return { headEnd: at, bodyStart: at + 3 };
  }
  return undefined;
}

/** Parses a header block (without its empty line); throws BadCgiHeaders naming the first line that is wrong. */
export function parseCgiHead(block: string): CgiHead {
  const headers: OutgoingHttpHeaders = {};
  let status: number | undefined;
  let reason: string | undefined;
  const lines = block === '' ? [] : block.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.length === 0) throw new BadCgiHeaders('the script wrote no headers (a CGI answer starts with a header such as "Content-Type: text/html" and an empty line)');
  for (const [index, line] of lines.entries()) {
    const where = `header line ${index + 1}`;
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon);
    if (!headerName.test(name)) throw new BadCgiHeaders(`${where} is not "Name: value": ${JSON.stringify(line.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    if (!headerValue.test(value)) throw new BadCgiHeaders(`${where} (${name}) has a control character in its value`);
    const lower = name.toLowerCase();
    if (lower === 'status') {
      const match = /^([1-5]\d\d)(?:\s+(.*))?$/.exec(value);
      if (!match || Number(match[1]) < 200) throw new BadCgiHeaders(`${where}: Status must be a code from 200 to 599 and an optional reason, like "404 Not Found", not ${JSON.stringify(value.slice(0, 80))}`);
      status = Number(match[1]);
      reason = match[2] === undefined || match[2] === '' ? undefined : match[2];
      continue;
    }
    if (connectionHeaders.has(lower)) continue;
    // The answer's body is held to it (cgi-run.ts); a client would read a malformed or second one as it pleases.
    if (lower === 'content-length' && (headers[lower] !== undefined || !/^[0-9]{1,15}$/.test(value))) {
      throw new BadCgiHeaders(`${where}: Content-Length must be given once, as a number of bytes, not ${JSON.stringify(value.slice(0, 80))}`);
    }
    const existing = headers[lower];
    headers[lower] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [String(existing)]), value];
  }
  if (status === undefined) status = headers.location === undefined ? 200 : 302;
  return { status, reason, headers };
}
