import type { IncomingMessage } from 'node:http';
import type { CookieSignIn, CookieVisit } from '../auth/cookie/cookie-sign-in.js';
import { cookieValue } from './cookie-header.js';
import { originPattern } from './origin-pattern.js';
import { requestPath } from './request-path.js';

/** The tracking cookie of a WebSocket path, as the HTTP upgrade sees it (the sign-in side: auth/cookie). */
export interface WebSocketCookieOptions {
  signIn: CookieSignIn;
  /** The cookie's name (Crossbar's default "cbtid"). */
  name: string;
  maxAgeSeconds: number;
  /** Lax unless the config says Strict; never None (any site's page could then bring the cookie). */
  sameSite: 'Lax' | 'Strict';
  /** Crossbar's `secure: true`: Secure even when the upgrade itself came over plain HTTP (a TLS proxy not listed as trusted). */
  alwaysSecure: boolean;
  /** The path's allowed_origins: only its entries other than "*" let another site's page sign in by cookie. */
  allowedOrigins: readonly string[];
}

/**
 * Reads the cookie of an upgrade request and writes the Set-Cookie of its response. A page of
 * another site than the endpoint's own host, unless listed in allowed_origins (not merely by
 * "*"), is treated as if it sent no cookie and gets none: a cross-site page must not sign in
 * as the browser's user (cross-site WebSocket hijacking).
 */
export class WebSocketCookies {
  private readonly listedOrigins: RegExp[];

  readonly signIn: CookieSignIn;

  constructor(private readonly options: WebSocketCookieOptions) {
    this.signIn = options.signIn;
    this.listedOrigins = options.allowedOrigins.filter((origin) => origin !== '*').map(originPattern);
  }

  async arrive(request: IncomingMessage, secure: boolean): Promise<{ visit: CookieVisit; setCookie?: string }> {
    const { name, maxAgeSeconds, sameSite } = this.options;
    const { visit, newToken } = await this.options.signIn.arrive(cookieValue(request.headers.cookie, name), this.crossSite(request));
    if (newToken === undefined) return { visit };
    const attributes = [`${name}=${newToken}`, `Max-Age=${maxAgeSeconds}`, `Path=${requestPath(request.url)}`, 'HttpOnly', `SameSite=${sameSite}`];
    if (secure || this.options.alwaysSecure) attributes.push('Secure');
    return { visit, setCookie: attributes.join('; ') };
  }

  /** An Origin that is neither the request's own host nor listed; no Origin: not a browser page. */
  private crossSite(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return false;
    if (this.listedOrigins.some((pattern) => pattern.test(origin))) return false;
    const host = request.headers.host;
    if (host === undefined) return true;
    try {
      const page = new URL(origin);
      // Through URL both ways, so that a default port ("example.com:443") compares equal to none.
      return new URL(`${page.protocol}//${host}`).host !== page.host;
    } catch {
      return true;
    }
  }
}
