/**
 * A router link's logger. Its lines quote what others wrote: the other router's ABORT and GOODBYE
 * messages, authids and errors, and the client library's connection errors, which name the link's
 * URL. A router may quote the link's own secret back (Crossbar passes on an authenticator's error,
 * and Crossbar's examples write "invalid ticket '...'"), and the URL may carry credentials or a
 * token in its query: each line shows the link's ticket, WAMP-CRA secret or SCRAM password as the
 * mark (one shorter than minMaskedValueLength is left, as in other free text), and its URL as
 * urlForLog does. Each text is then clipped: masked first, so that no cut leaves half a secret.
 */

import { withoutSecrets } from '../../auth/secrets.js';
import { urlForLog } from '../../config/mask-secrets.js';
import type { RouterLinkConfig } from '../../config/model.js';
import { clipped, type Logger } from '../../router/log.js';
import { linkSecrets } from './echo-guard.js';

export function linkLogger(log: Logger, { auth, transport }: Pick<RouterLinkConfig, 'auth' | 'transport'>): Logger {
  const secrets = linkSecrets({ auth, transport });
  const url = transport.kind === 'websocket' ? transport.url : undefined;
  const shownUrl = url === undefined ? undefined : urlForLog(url);
  const mask = (text: string): string => clipped(withoutSecrets(url === undefined || shownUrl === url ? text : text.replaceAll(url, shownUrl!), secrets));
  return new MaskingLogger(log, mask);
}

class MaskingLogger implements Logger {
  constructor(private readonly parent: Logger, private readonly mask: (text: string) => string) {}

  debug(fields: object, message: string): void {
    this.parent.debug(this.masked(fields), this.mask(message));
  }

  info(fields: object, message: string): void {
    this.parent.info(this.masked(fields), this.mask(message));
  }

  warn(fields: object, message: string): void {
    this.parent.warn(this.masked(fields), this.mask(message));
  }

  error(fields: object, message: string): void {
    this.parent.error(this.masked(fields), this.mask(message));
  }

  child(bindings: object): Logger {
    return new MaskingLogger(this.parent.child(bindings), this.mask);
  }

  /** The fields with each text value masked and clipped (a link's fields are flat: texts, numbers, flags). */
  private masked(fields: object): object {
    return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' ? this.mask(value) : value]));
  }
}
