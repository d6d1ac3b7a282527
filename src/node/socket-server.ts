/**
 * Every listening socket of the node is made and bound here, so that each endpoint option of the
 * file (TLS key, certificates, ciphers, dhparam, backlog, a Unix socket path) means the same for
 * every transport type: websocket, web, universal and rawsocket alike.
 */

import { readFileSync } from 'node:fs';
import { lstat, unlink } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer, type ServerOptions } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { EndpointConfig, TlsConfig } from '../config/model.js';
import { UnsupportedConfigError } from './auth-wiring.js';
import { withTlsWarnings, type TlsWarningSink } from './tls-warnings.js';

/** Node's TLS server options for an endpoint's `tls` block (files are read now, at start). */
export function tlsOptions(tls: TlsConfig): TlsOptions {
  return {
    key: readFileSync(tls.key),
    cert: readFileSync(tls.certificate),
    ca: [...tls.chainCertificates, ...(tls.caCertificates ?? [])].map((file) => readFileSync(file)),
    // With a door that reads it, asked for and not required at the handshake: the sign-in refuses a
    // missing or untrusted certificate itself, so that the client hears why (an MQTT CONNACK code).
    ...(tls.caCertificates === undefined ? {} : { requestCert: true, rejectUnauthorized: tls.clientCertificateAtHandshake === true }),
    ...(tls.ciphers === undefined ? {} : { ciphers: tls.ciphers }),
    ...(tls.dhparam === undefined ? {} : { dhparam: readFileSync(tls.dhparam) }),
  };
}

/** Makes a TLS server, handing what Node's TLS warns about its files to `warn` instead of raw stderr. */
function secureServer<T>(tls: TlsConfig, warn: TlsWarningSink, create: (options: TlsOptions) => T): T {
  const { value, warnings } = withTlsWarnings(() => create(tlsOptions(tls)));
  for (const warning of warnings) warn(tls, warning);
  return value;
}

/**
 * An HTTP server, or HTTPS when the endpoint has `tls` (websocket, web and universal listeners).
 * `options` are the listener's own (request deadlines); `handshakeTimeout` applies to TLS only.
 */
export function httpServerFor(endpoint: EndpointConfig, warn: TlsWarningSink, options: ServerOptions & { handshakeTimeout?: number } = {}): HttpServer {
  const { handshakeTimeout, ...http } = options;
  if (!endpoint.tls) return createHttpServer(http);
  return secureServer(endpoint.tls, warn, (tls) => createHttpsServer({ ...tls, ...http, ...(handshakeTimeout === undefined ? {} : { handshakeTimeout }) }));
}

/** A plain byte-stream server, or TLS when the endpoint has `tls` (rawsocket listeners). */
export function streamServerFor(endpoint: EndpointConfig, warn: TlsWarningSink): Server {
  return endpoint.tls ? secureServer(endpoint.tls, warn, createTlsServer) : createTcpServer({ noDelay: true });
}

/** Where a server ended up listening: a TCP address, or a Unix socket path. */
export type BoundAddress = { kind: 'tcp'; port: number; host: string } | { kind: 'unix'; path: string };

/**
 * Where a listener's server gets its connections from: the endpoint it binds itself (`ownPorts`),
 * or, in a worker of `--workers`, the parent that owns the ports and hands it connections.
 */
export interface PortSource {
  /**
   * The server receives the endpoint's connections from now on; resolves to where they arrive.
   * `listener` is the config's transport id (several may ask for port 0, each its own port).
   */
  listen(server: Server, endpoint: EndpointConfig, listener: string): Promise<BoundAddress>;
  /** Once the server has closed: frees what `listen` took (a Unix socket file). */
  release(endpoint: EndpointConfig): Promise<void>;
}

/**
 * Binds `server` to the endpoint with its backlog. A Unix socket file left behind by a process
 * that died is replaced first; a file that is not a socket, or a socket another process listens
 * on, is an error (never someone else's file or server).
 */
export async function listenOn(server: Server, endpoint: EndpointConfig): Promise<BoundAddress> {
  const backlog = endpoint.backlog === undefined ? {} : { backlog: endpoint.backlog };
  if (endpoint.type === 'unix') {
    const path = endpoint.path;
    if (!path) throw new UnsupportedConfigError('a unix endpoint needs a path');
    await removeStaleSocket(path);
    await bind(server, { path, ...backlog });
    return { kind: 'unix', path };
  }
  await bind(server, { port: endpoint.port, host: endpoint.interface, ...backlog });
  const address = server.address() as AddressInfo;
  return { kind: 'tcp', port: address.port, host: address.family === 'IPv6' ? `[${address.address}]` : address.address };
}

/** "127.0.0.1:8080" or "unix:/run/junction/wamp.sock": the part of a URL after the scheme's "//". */
export function authorityOf(address: BoundAddress): string {
  return address.kind === 'unix' ? `unix:${address.path}` : `${address.host}:${address.port}`;
}

/** The port bound (0 for a Unix socket). */
export function portOf(address: BoundAddress): number {
  return address.kind === 'unix' ? 0 : address.port;
}

/** Removes the socket file of an endpoint after its server closed (Node usually has already). */
export async function releaseEndpoint(endpoint: EndpointConfig): Promise<void> {
  if (endpoint.type !== 'unix' || !endpoint.path) return;
  try {
    if ((await lstat(endpoint.path)).isSocket()) await unlink(endpoint.path);
  } catch {
    // already gone
  }
}

/** A process that binds its endpoints itself (one process, or the `--workers` parent). */
export const ownPorts: PortSource = { listen: (server, endpoint) => listenOn(server, endpoint), release: releaseEndpoint };

function bind(server: Server, options: { port?: number; host?: string; path?: string; backlog?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void => reject(error);
    server.once('error', failed);
    server.listen(options, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) throw new UnsupportedConfigError(`${path} exists and is not a Unix socket; it is not replaced`);
  if (await someoneListens(path)) throw new UnsupportedConfigError(`another process is listening on the Unix socket ${path}`);
  await unlink(path);
}

function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    const timer = setTimeout(() => finish(true), 1_000); // a listener too busy to accept still owns the path
    const finish = (listening: boolean): void => {
      clearTimeout(timer);
      probe.destroy();
      resolve(listening);
    };
    probe.once('connect', () => finish(true));
    probe.once('error', () => finish(false));
  });
}
