/**
 * Node's TLS prints some findings about an endpoint's files as a raw process warning on stderr
 * ("(node:123) SecurityWarning: DH parameter is less than 2048 bits"), which names no file and
 * bypasses the log format. Here they are caught while one TLS context is made, and worded as a
 * line naming the transport, the setting and what to do; the caller logs or prints it.
 */

import type { TlsConfig } from '../config/model.js';
import type { Logger } from '../router/log.js';
import { aboutConfig } from './logger.js';

/**
 * Runs `build` (which makes a TLS context) and returns the SecurityWarnings Node emitted meanwhile
 * instead of letting them reach stderr. Only for the length of this synchronous call, and only
 * that warning type: every other warning goes on to Node as usual.
 */
export function withTlsWarnings<T>(build: () => T): { value: T; warnings: string[] } {
  const warnings: string[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const type = warning instanceof Error ? warning.name : typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    if (type === 'SecurityWarning') {
      warnings.push(warning instanceof Error ? warning.message : warning);
      return;
    }
    (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return { value: build(), warnings };
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** `nodeWarning` (a SecurityWarning of `transport`'s TLS context) as one line naming the file and the fix. */
export function tlsWarningText(transport: string, tls: TlsConfig, nodeWarning: string): string {
  if (tls.dhparam !== undefined && /\bDH parameter/.test(nodeWarning)) {
    return `${transport}: endpoint.tls.dhparam ${tls.dhparam}: ${nodeWarning}, which is weak; make 2048-bit parameters with ` +
      `"openssl dhparam -out ${tls.dhparam} 2048" (or remove dhparam: ECDHE key exchange needs none)`;
  }
  return `${transport}: endpoint.tls: Node's TLS warns: ${nodeWarning}`;
}

/** Where a listener's server hands a warning of Node's TLS about its endpoint's files. */
export type TlsWarningSink = (tls: TlsConfig, nodeWarning: string) => void;

/** Logs the TLS warnings of the listener `transportId` as warnings of `log` (the line names the transport). */
export function tlsWarningLogger(transportId: string, log: Logger): TlsWarningSink {
  return (tls, nodeWarning) => log.warn(aboutConfig, tlsWarningText(`transport "${transportId}"`, tls, nodeWarning));
}
