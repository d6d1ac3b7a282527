/**
 * Why `junction start` cannot start, in words a user acts on. Each code has one line in
 * docs/errors.md (test/project/errors-doc.test.ts finds each one where it is thrown).
 */

import { createServer } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { ConnectingTls, ListenerConfig, RouterLinkConfig, TlsConfig } from '../config/model.js';
import { tlsOptions } from './socket-server.js';
import { tlsFileProblems, type TlsFiles } from './tls-file-check.js';
import { tlsWarningText, withTlsWarnings } from './tls-warnings.js';
import { pathWhere } from './web/path-where.js';

export type StartupErrorCode = 'port_in_use' | 'port_not_permitted' | 'address_not_available' | 'tls_file_unreadable' | 'tls_invalid' | 'data_dir_unusable' | 'cookie_store_unusable' | 'history_store_unusable' | 'guest_not_startable' | 'node_key_unusable' | 'archive_unusable' | 'module_unloadable';

export class StartupError extends Error {
  constructor(
    readonly code: StartupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}

/**
 * Where the user changes a transport's endpoint: a config (and, for its first transport, --host and
 * --port), or only --host and --port when `junction start` runs the embedded default, which has
 * no config file to edit and whose transport's name the user never chose; run by `npm start`,
 * those options go after "--" (npm keeps the ones before it for itself).
 */
export type EndpointSettings = 'config' | 'command-line' | 'npm-start';

/** What to do about a busy or forbidden port, and a missing address, in words naming only what the user can change. */
function endpointHints(transport: string, settings: EndpointSettings): { port: string; address: string } {
  if (settings === 'npm-start') return { port: 'choose another port: npm start -- --port PORT', address: 'choose another address: npm start -- --host HOST' };
  return settings === 'command-line'
    ? { port: 'choose another port with --port', address: 'choose another address with --host' }
    : {
      port: `choose another port with --port (first transport) or ${transport}'s endpoint.port in the config`,
      address: `choose another address with --host (first transport) or ${transport}'s endpoint.interface in the config`,
    };
}

/** Why a listener could not listen, in words. */
export function listenFailure(error: unknown): string {
  const err = error as NodeJS.ErrnoException & { address?: string; port?: number };
  switch (err.code) {
    case 'EADDRINUSE': return `port ${err.port} on ${err.address} is already in use`;
    case 'EACCES': return `no permission to listen on port ${err.port} of ${err.address}`;
    case 'EADDRNOTAVAIL': return `address ${err.address} is not available on this machine`;
    default: return err.message;
  }
}

/** By the bind error's errno code: `what` says what failed ("port 8080 on 127.0.0.1 is already in use"), `failed` adds which transport when the user named it. */
const bindFailures: Record<string, (failed: string, hints: { port: string; address: string }) => StartupError> = {
  EADDRINUSE: (failed, hints) => new StartupError('port_in_use', `${failed}: stop the program using it, or ${hints.port}`),
  EACCES: (failed, hints) => new StartupError('port_not_permitted', `${failed}: ports below 1024 need privileges; ${hints.port}`),
  EADDRNOTAVAIL: (failed, hints) => new StartupError('address_not_available', `${failed}: ${hints.address}`),
};

/** A failed bind of `listener`'s TCP port as a StartupError naming the transport and the settings that change it; any other error as it is. */
export function bindFailure(error: unknown, listener: ListenerConfig, settings: EndpointSettings = 'config'): unknown {
  const failure = bindFailures[(error as NodeJS.ErrnoException).code ?? ''];
  if (failure === undefined || listener.endpoint.type === 'unix') return error;
  const transport = `transport "${listener.id}"`;
  const failed = settings === 'config' ? `${listenFailure(error)} (${transport})` : listenFailure(error);
  return failure(failed, endpointHints(transport, settings));
}

/**
 * Binds and releases every fixed TCP port of the config before anything else starts, so that a
 * busy port fails the start at once instead of after internal sessions joined and left.
 * (A port taken in the moment between this check and the real bind still fails the start, with
 * the same message.)
 */
export async function checkPortsFree(listeners: readonly ListenerConfig[], settings: EndpointSettings = 'config'): Promise<void> {
  for (const listener of listeners) {
    const { endpoint } = listener;
    if (endpoint.type === 'unix' || endpoint.port === 0) continue;
    const probe = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen({ port: endpoint.port, host: endpoint.interface }, resolve);
      });
    } catch (error) {
      throw bindFailure(error, listener, settings);
    }
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  }
}

/** A transport's `tls` files, each named by its config key. */
function endpointTlsFiles(tls: TlsConfig): TlsFiles {
  return {
    key: { setting: 'endpoint.tls.key', file: tls.key },
    certificate: { setting: 'endpoint.tls.certificate', file: tls.certificate },
    certificates: [
      ...tls.chainCertificates.map((file) => ({ setting: 'endpoint.tls.chain_certificates', file })),
      ...(tls.caCertificates ?? []).map((file) => ({ setting: 'endpoint.tls.ca_certificates', file })),
    ],
    ...(tls.dhparam === undefined ? {} : { dhparam: { setting: 'endpoint.tls.dhparam', file: tls.dhparam } }),
  };
}

/** The `tls` files of a connection Junction opens (`prefix`: the config key of its endpoint, "transport.endpoint"). */
function connectingTlsFiles(tls: ConnectingTls, prefix: string): TlsFiles {
  return {
    ...(tls.key === undefined ? {} : { key: { setting: `${prefix}.tls.key`, file: tls.key } }),
    ...(tls.certificate === undefined ? {} : { certificate: { setting: `${prefix}.tls.certificate`, file: tls.certificate } }),
    certificates: (tls.caCertificates ?? []).map((file) => ({ setting: `${prefix}.tls.ca_certificates`, file })),
  };
}

/** What `junction check` says of the TLS files: problems (start would fail) and warnings (it would log). */
export interface TlsFileReport {
  problems: StartupError[];
  warnings: string[];
}

/**
 * What is wrong with the TLS files of each endpoint: per transport, every file that cannot be
 * read or parsed (tls-file-check.ts), or else why its files do not make a TLS context; and what
 * Node's TLS warns about them. The same for the `tls` of each router link's endpoint (`links`)
 * and of each WebSocket reverse proxy's backend.
 * `junction check` lists them all; `junction start` fails on the first problem (checkTlsFiles).
 */
export function tlsFileReport(listeners: readonly ListenerConfig[], links: readonly RouterLinkConfig[] = []): TlsFileReport {
  const report: TlsFileReport = { problems: [], warnings: [] };
  for (const listener of listeners) {
    const { tls } = listener.endpoint;
    if (tls !== undefined) endpointTlsReport(`transport "${listener.id}"`, tls, report);
    for (const [path, service] of Object.entries(listener.paths)) {
      const { endpoint } = service.type === 'websocket-reverseproxy' ? service.backend : {};
      if (endpoint?.type === 'tcp' && endpoint.tls !== undefined) fileProblems(pathWhere(listener, path), connectingTlsFiles(endpoint.tls, 'backend.endpoint'), report);
    }
  }
  for (const link of links) {
    const { endpoint } = link.transport;
    if (endpoint.kind === 'tcp' && endpoint.tls !== undefined) {
      fileProblems(`realm "${link.localRealm}" rlink "${link.id}"`, connectingTlsFiles(endpoint.tls, 'transport.endpoint'), report);
    }
  }
  return report;
}

/**
 * Throws the first problem of the TLS files of a connection Junction opens (a router link, a
 * WebSocket reverse proxy's backend), as `junction start` names it: whatever builds such a
 * connection (start, or a reload that adds or rebuilds a path) checks its files this one way.
 */
export function checkConnectingTlsFiles(owner: string, tls: ConnectingTls, prefix: string): void {
  const report: TlsFileReport = { problems: [], warnings: [] };
  fileProblems(owner, connectingTlsFiles(tls, prefix), report);
  const [first] = report.problems;
  if (first !== undefined) throw first;
}

/** Adds the problems of `files`; true when there were any. */
function fileProblems(owner: string, files: TlsFiles, report: TlsFileReport): boolean {
  const problems = tlsFileProblems(owner, files);
  report.problems.push(...problems.map(({ kind, message }) => (kind === 'unreadable' ? new StartupError('tls_file_unreadable', message) : new StartupError('tls_invalid', message))));
  return problems.length > 0;
}

/** What the files' own checks let through and OpenSSL refuses, naming the setting: DH parameters too short, a cipher list, else the block. */
function contextFault(tls: TlsConfig, reason: string): string {
  if (tls.dhparam !== undefined && /\bDH parameter/.test(reason)) return `its endpoint.tls.dhparam ${tls.dhparam}: ${reason} (make 2048-bit ones: openssl dhparam -out ${tls.dhparam} 2048)`;
  if (tls.ciphers !== undefined && /cipher/i.test(reason)) return `its endpoint.tls.ciphers "${tls.ciphers}": ${reason}`;
  return `its endpoint.tls settings do not make a TLS context: ${reason}`;
}

function endpointTlsReport(transport: string, tls: TlsConfig, report: TlsFileReport): void {
  if (fileProblems(transport, endpointTlsFiles(tls), report)) return;
  try {
    const { warnings } = withTlsWarnings(() => createSecureContext(tlsOptions(tls)));
    report.warnings.push(...warnings.map((warning) => tlsWarningText(transport, tls, warning)));
  } catch (error) {
    report.problems.push(new StartupError('tls_invalid', `${transport}: ${contextFault(tls, (error as Error).message)}`));
  }
}

/**
 * Reads every endpoint's TLS files and builds their TLS context before anything else starts, so
 * that a missing or malformed key or certificate names its transport and setting, instead of a
 * bare ENOENT or OpenSSL error after internal sessions joined. Its warnings are left to the
 * listener that makes the real context (it logs them, also when a reload adds the transport).
 */
export function checkTlsFiles(listeners: readonly ListenerConfig[], links: readonly RouterLinkConfig[] = []): void {
  const [first] = tlsFileReport(listeners, links).problems;
  if (first !== undefined) throw first;
}
