/**
 * What a router link passes on to this router's sessions, cleared of the link's own secret. The
 * other router knows the link's ticket and URL password (and may know its WAMP-CRA secret or SCRAM
 * password), and it, or a client of it, can quote that back in anything the link forwards: an
 * event's or a call's arguments, a result, an error (Crossbar passes on an authenticator's error
 * text), a sender's authid. The link masks each occurrence in what it passes on (texts at any
 * depth, dict keys, binary values) and changes nothing else. A URI cannot be masked (it would
 * name another topic or procedure), so an event, invocation or mirror whose URI quotes the secret
 * is refused, and so is a message in which masking would make two keys of a dict one. Each such
 * message is counted and warned about, naming the link, never the secret.
 */

import { maskedMark, withoutSecrets } from '../../auth/secrets.js';
import { minMaskedValueLength, secretValues } from '../../config/mask-secrets.js';
import type { RouterLinkConfig } from '../../config/model.js';
import { ErrorUri } from '../../protocol/errors.js';
import { WarningThrottle } from '../../router/limits/warning-throttle.js';
import type { Logger } from '../../router/log.js';
import { LinkCallError } from './link-sides.js';
import type { EchoAction, LinkMeter } from './rlink-metrics.js';

/**
 * The link's ticket, WAMP-CRA secret or SCRAM password (none with the node key, which never leaves
 * this node), and the user name and password of its WebSocket URL, longest first so that one
 * containing another is masked whole. One shorter than minMaskedValueLength is left, as in other
 * free text.
 */
export function linkSecrets({ auth, transport }: Pick<RouterLinkConfig, 'auth' | 'transport'>): string[] {
  const fromUrl = transport.kind === 'websocket' ? secretValues(transport.url) : [];
  return [...new Set([...secretValues(auth), ...fromUrl])].filter((secret) => secret.length >= minMaskedValueLength).sort((a, b) => b.length - a.length);
}

export interface EchoGuard {
  /**
   * `value` with every occurrence of the secret masked (the same value when there is none); `what`
   * names the message in the warning. Throws a LinkCallError when masking would merge two keys of a dict.
   */
  masked<T>(what: string, value: T): T;
  /** Whether `uri` quotes the secret: then the message is refused (counted and warned about here). */
  quotedIn(what: string, uri: string): boolean;
}

/** The guard of what goes to the other router: it knows the secret already, so what it is sent is left as it is. */
export const passedAsIs: EchoGuard = { masked: (_what, value) => value, quotedIn: () => false };

export function echoGuard(secrets: readonly string[], meter: Pick<LinkMeter, 'secretEchoes'>, log: Logger): EchoGuard {
  if (secrets.length === 0) return passedAsIs;
  const throttles: Record<EchoAction, WarningThrottle> = { masked: new WarningThrottle(), refused: new WarningThrottle() };
  const found = (action: EchoAction, what: string): void => {
    meter.secretEchoes[action].inc();
    const count = throttles[action].record(performance.now());
    if (count === undefined) return;
    log.warn({ what: withoutSecrets(what, secrets), count }, action === 'masked'
      ? 'router link: the other router quoted the link\'s secret; passed on with it masked (count: since the last warning; further ones not logged for 10 s)'
      : 'router link: the other router quoted the link\'s secret where it cannot be masked (a URI, or dict keys masking would merge); refused (count: since the last warning; further ones not logged for 10 s)');
  };
  const markBytes = Buffer.from(maskedMark);
  const secretBytes = secrets.map((secret) => Buffer.from(secret));

  const maskBytes = (bytes: Uint8Array): Uint8Array => {
    let buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let changed = false;
    for (const secret of secretBytes) {
      if (buffer.indexOf(secret) === -1) continue;
      const parts: Buffer[] = [];
      let from = 0;
      for (let at = buffer.indexOf(secret); at !== -1; at = buffer.indexOf(secret, from)) {
        parts.push(buffer.subarray(from, at), markBytes);
        from = at + secret.length;
      }
      parts.push(buffer.subarray(from));
      buffer = Buffer.concat(parts);
      changed = true;
    }
    return changed ? buffer : bytes;
  };

  /**
   * Whether `value` quotes a secret anywhere `walk` would mask it (texts, dict keys, binary values).
   * It allocates nothing, so the usual message, which quotes none, costs one scan and no copy.
   */
  const quotes = (value: unknown): boolean => {
    if (typeof value === 'string') {
      for (const secret of secrets) if (value.includes(secret)) return true;
      return false;
    }
    if (value instanceof Uint8Array) {
      const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      for (const secret of secretBytes) if (buffer.includes(secret)) return true;
      return false;
    }
    if (Array.isArray(value)) {
      for (const item of value) if (quotes(item)) return true;
      return false;
    }
    if (typeof value !== 'object' || value === null) return false;
    for (const key of Object.keys(value)) if (quotes(key) || quotes((value as Record<string, unknown>)[key])) return true;
    return false;
  };

  /** `value` masked: a new array or dict only where something inside it changed. */
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return secrets.some((secret) => value.includes(secret)) ? withoutSecrets(value, secrets) : value;
    if (value instanceof Uint8Array) return maskBytes(value);
    if (Array.isArray(value)) {
      const items = value.map(walk);
      return items.some((item, index) => item !== value[index]) ? items : value;
    }
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const masked = entries.map(([key, item]) => [walk(key), walk(item)] as const);
    if (!masked.some(([key, item], index) => key !== entries[index]![0] || item !== entries[index]![1])) return value;
    if (new Set(masked.map(([key]) => key)).size < masked.length) throw mergedKeys;
    return Object.fromEntries(masked);
  };
  const mergedKeys = new Error('two keys of a dict would be one');

  return {
    masked<T>(what: string, value: T): T {
      if (!quotes(value)) return value;
      let result: T;
      try {
        result = walk(value) as T;
      } catch (error) {
        if (error !== mergedKeys) throw error;
        found('refused', what);
        throw new LinkCallError(ErrorUri.invalidArgument, [`the other router's ${withoutSecrets(what, secrets)} quotes the router link's own secret in dict keys that masking would merge: not passed on`]);
      }
      if (result !== value) found('masked', what);
      return result;
    },
    quotedIn(what, uri) {
      if (!secrets.some((secret) => uri.includes(secret))) return false;
      found('refused', what);
      return true;
    },
  };
}
