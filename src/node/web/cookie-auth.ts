import type { CookieSignIn } from '../../auth/cookie/cookie-sign-in.js';
import { noticeMessages } from '../../config/codes.js';
import type { CookieAuthConfig, WebSocketOptions } from '../../config/model.js';
import type { Logger } from '../../router/log.js';
import { WebSocketCookies } from '../../transport/websocket-cookie.js';
import type { CookieJars } from './cookie-jars.js';
import { aboutConfig } from '../logger.js';

/** Cookie authentication on one WebSocket path, as one handler of it holds it: the sign-in (kept across reloads: cookie-jars.ts) and the upgrade's side. */
export interface CookieAuth {
  signIn: CookieSignIn;
  cookies: WebSocketCookies;
  close(): Promise<void>;
}

export async function cookieAuth(
  config: CookieAuthConfig,
  options: Pick<WebSocketOptions, 'allowedOrigins'>,
  jars: CookieJars,
  where: string,
  /** The metrics' labels: the listener's id and the path. */
  labels: { transport: string; path: string },
  log: Logger,
): Promise<CookieAuth> {
  const { signIn, release } = await jars.open(where, config, labels, log);
  const cookies = new WebSocketCookies({
    signIn, name: config.name, maxAgeSeconds: config.maxAgeSeconds, sameSite: config.sameSite, alwaysSecure: config.alwaysSecure,
    allowedOrigins: options.allowedOrigins,
  });
  log.info({ store: config.store.type, ...(config.store.type === 'file' ? { file: config.store.path } : {}), name: config.name }, 'cookie authentication on');
  // Also a load-time notice; repeated at warn level, as every page may now connect to this path.
  if (options.allowedOrigins.includes('*')) log.warn({ code: 'config.notice.cookie_any_origin', ...aboutConfig }, noticeMessages['config.notice.cookie_any_origin']());
  return { signIn, cookies, close: release };
}
