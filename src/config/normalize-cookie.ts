/** A WebSocket's `cookie` block and `auth.cookie`, from the file's shape to the model's (cookie authentication). */

import { minTokenLength } from '../auth/cookie/token.js';
import type { CookieAuthConfig } from './model.js';
import { notice } from './notices.js';
import type { ConfigPath } from './config-path.js';
import type { CookieTrackingFile } from './schema-cookie.js';
import { fromConfigDir, type NormalizeContext } from './normalize-context.js';

/** The cookie settings when cookie authentication is on; notices for what Junction does differently. */
export function cookieAuthConfig(
  cookie: CookieTrackingFile | undefined,
  cookieAuth: boolean,
  allowedOrigins: readonly string[],
  at: ConfigPath,
  context: NormalizeContext,
): CookieAuthConfig | undefined {
  if (cookie === undefined) return undefined;
  if (!cookieAuth) {
    context.notices.push(notice('config.notice.cookie_tracking', [...at, 'cookie']));
    return undefined;
  }
  if (allowedOrigins.includes('*')) context.notices.push(notice('config.notice.cookie_any_origin', [...at, 'options', 'allowed_origins']));
  if (cookie.length < minTokenLength) context.notices.push(notice('config.notice.cookie_length', [...at, 'cookie', 'length'], cookie.length, minTokenLength));
  if (!cookie.http_strict) context.notices.push(notice('config.notice.cookie_http_only', [...at, 'cookie', 'http_strict']));
  return {
    name: cookie.name,
    length: Math.max(cookie.length, minTokenLength),
    maxAgeSeconds: cookie.max_age,
    store: storeOf(cookie.store, [...at, 'cookie', 'store'], context),
    maxEntries: cookie.max_entries,
    maxEntriesPerAuthid: cookie.max_entries_per_authid,
    sameSite: cookie.same_site,
    alwaysSecure: cookie.secure,
  };
}

/**
 * Crossbar's file at `filename`: ours beside it, so that both can stay during the switch. Crossbar's
 * zLMDB database at `path` (flatbuffers records Junction does not read): ours beside it too, and
 * Crossbar's is left as it is.
 */
function storeOf(store: CookieTrackingFile['store'], at: ConfigPath, context: NormalizeContext): CookieAuthConfig['store'] {
  if (store.type === 'memory') return { type: 'memory' };
  if (store.type === 'file') {
    const crossbarFile = fromConfigDir(context, store.filename);
    return { type: 'file', path: `${crossbarFile}.lmdb`, crossbarFile };
  }
  const crossbarDatabase = fromConfigDir(context, store.path);
  const path = `${crossbarDatabase}.lmdb`;
  context.notices.push(notice('config.notice.cookie_database', at, path, crossbarDatabase));
  return { type: 'file', path };
}
