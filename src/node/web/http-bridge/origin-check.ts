import type { IncomingMessage, ServerResponse } from 'node:http';
import { originPattern } from '../../../transport/origin-pattern.js';
import type { ClientAddress } from '../service-context.js';
import { Refusal, quote } from './refusal.js';

/** Methods and headers a CORS preflight of an allowed origin is granted: a JSON POST or PUT, nothing else. */
const corsMethods = 'POST, PUT';
const corsHeaders = 'content-type';
/** How long a browser may reuse a granted preflight, in seconds. */
const corsMaxAgeSeconds = '600';

/**
 * Cross-site request forgery guard (docs/http-bridge.md, "Who may post, and from where").
 * Backends (curl, PHP, GitHub's webhooks) send no Origin and pass. A browser sends one with every
 * POST, and a page of another site can make it POST to us blind: a body of no type or a form
 * needs no CORS preflight. So a request whose Origin is not the request's own origin is refused
 * unless the path's `allowed_origins` lists it; "null" (sandboxed frames, file://) is no origin
 * and is refused unless listed. An allowed cross-site origin is also granted CORS, so that its
 * page may send JSON and read the answer: one list for both.
 */
export class OriginGate {
  private readonly any: boolean;
  private readonly patterns: readonly RegExp[];

  constructor(allowedOrigins: readonly string[]) {
    this.any = allowedOrigins.includes('*');
    this.patterns = allowedOrigins.map(originPattern);
  }

  /** Refuses a cross-site browser request that is not allowed; grants CORS on `response` to one that is. */
  check(request: IncomingMessage, client: ClientAddress, response: ServerResponse): void {
    const origin = request.headers.origin;
    if (origin === undefined || fromOwnPage(request, origin, client.secure)) return;
    if (!this.allows(origin)) throw this.refusal(origin, request.headers.host);
    response.setHeader('access-control-allow-origin', origin);
    response.setHeader('vary', 'Origin');
  }

  /** The CORS headers answering a preflight (OPTIONS): a grant for an allowed origin, none otherwise (the browser then sends nothing). */
  preflightHeaders(request: IncomingMessage): Record<string, string> {
    const origin = request.headers.origin;
    if (origin === undefined || !this.allows(origin)) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': corsMethods,
      'access-control-allow-headers': corsHeaders,
      'access-control-max-age': corsMaxAgeSeconds,
      vary: 'Origin',
    };
  }

  private allows(origin: string): boolean {
    return this.any || this.patterns.some((pattern) => pattern.test(origin));
  }

  private refusal(origin: string, host: string | undefined): Refusal {
    const from = origin === 'null' ? 'a page with no origin ("null": a sandboxed frame or a local file)' : `a page of ${quote(origin)}`;
    const to = host === undefined ? 'this router' : quote(host);
    return new Refusal(403, 'origin_not_allowed',
      `cross-site request refused: ${from} may not post to ${to}; backends send no Origin, and a site's pages must be listed in this path's allowed_origins`);
  }
}

/**
 * Whether a browser's request comes from a page of the site it was sent to. A browser that says
 * so with `Sec-Fetch-Site: same-origin` is believed: it compared the page's origin with the URL
 * it requested, which a reverse proxy's rewritten Host no longer shows, and no page can set that
 * header. Browsers without it (older Safari) are judged by their Origin and Host.
 */
function fromOwnPage(request: IncomingMessage, origin: string, secure: boolean): boolean {
  return request.headers['sec-fetch-site'] === 'same-origin' || isSameOrigin(origin, request.headers.host, secure);
}

/**
 * Whether a browser's Origin names the site the request was sent to, as the browser saw it: the
 * same host name; the same port when the Host header names one (a reverse proxy's "Host $host"
 * drops the port the page's Origin keeps, so a Host without a port leaves it open); and not a
 * page of http: when the request arrived over TLS (ours or a trusted proxy's). A TLS proxy that
 * does not say so leaves an https: Origin on a plain request: it is taken.
 */
export function isSameOrigin(origin: string, host: string | undefined, secure: boolean): boolean {
  if (host === undefined || origin === 'null') return false;
  // A page's request as it usually arrives, without parsing two URLs (a microsecond).
  if (origin === `https://${host}` || (!secure && origin === `http://${host}`)) return true;
  let page: URL;
  let target: URL;
  try {
    page = new URL(origin);
    target = new URL(`http://${host}`);
  } catch {
    return false;
  }
  if (page.protocol !== 'https:' && page.protocol !== 'http:') return false;
  if (secure && page.protocol === 'http:') return false;
  if (page.hostname !== target.hostname) return false;
  const hostPort = /:(\d+)$/.exec(host)?.[1];
  if (hostPort === undefined) return true;
  const pagePort = page.port === '' ? (page.protocol === 'https:' ? '443' : '80') : page.port;
  return Number(hostPort) === Number(pagePort);
}
