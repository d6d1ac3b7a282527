import { lstat, unlink } from 'node:fs/promises';
import { connect, createServer as createTcpServer, isIP, type AddressInfo, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { codecByName } from '../codec/index.js';
import type { ListenerConfig, RawSocketService as RawSocketConfig } from '../config/model.js';
import { RawSocketService } from '../transport/rawsocket/rawsocket-service.js';
import type { RawSocketAcceptor } from '../transport/rawsocket/sniff.js';
import { UnsupportedConfigError } from './auth-wiring.js';
import type { NodeContext } from './web/service-context.js';
import type { Listener } from './node.js';

/**
 * The RawSocket side of a `rawsocket` or `universal` listener: its settings, auth and metrics
 * behind one RawSocketService. Each accepted socket gets a label: "tcp4:ip:port", "tcp6:ip:port"
 * or, on a Unix socket, "unix:<path>".
 */
export function rawSocketAcceptor(config: ListenerConfig, context: NodeContext, unixPath?: string): RawSocketAcceptor {
  const settings = rawSocketSettings(config);
  const where = `transport "${config.id}"`;
  const gate = context.auth.gate(settings.auth, where);
  const log = context.log.child({ transport: config.id, rawsocket: true });
  const service = new RawSocketService(
    (peer, helloTimeoutMs) => context.router.attach(peer, gate, { helloTimeoutMs }),
    { ...settings, codecs: settings.serializers.map(codecByName) },
    log,
    context.metrics,
  );
  return {
    accept: (socket) => unixPath !== undefined
      ? service.accept(socket, `unix:${unixPath}`)
      : service.accept(socket, tcpLabel(socket), socket.remoteAddress ?? 'unknown'),
    close: () => service.close(),
  };
}

/** A `rawsocket` transport: WAMP RawSocket on a TCP port (TLS when configured) or a Unix socket. */
export function rawSocketListener(config: ListenerConfig, context: NodeContext): Listener {
  const { endpoint } = config;
  const unixPath = endpoint.type === 'unix' ? endpoint.path : undefined;
  if (endpoint.type === 'unix' && !unixPath) throw new UnsupportedConfigError(`transport "${config.id}": a unix endpoint needs a path`);
  const acceptor = rawSocketAcceptor(config, context, unixPath);
  const tls = endpoint.tls;
  const server = socketServer(config, context, (socket) => acceptor.accept(socket));
  const scheme = tls ? 'rss' : 'rs';

  return {
    listen: async () => {
      if (unixPath !== undefined) {
        await removeStaleSocket(unixPath);
        await listenOn(server, { path: unixPath, backlog: endpoint.backlog });
        return { port: 0, served: [{ url: `${scheme}://unix:${unixPath}`, service: 'rawsocket' }] };
      }
      await listenOn(server, { port: endpoint.port, host: endpoint.interface, backlog: endpoint.backlog });
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { port: address.port, served: [{ url: `${scheme}://${host}:${address.port}`, service: 'rawsocket' }] };
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await acceptor.close();
      await closed;
      if (unixPath !== undefined) await removeSocketFile(unixPath);
    },
  };
}

/**
 * A TCP server, or a TLS one when the endpoint has `tls`, handing each connected socket (after
 * the TLS handshake) to `accept` with Nagle off. Shared by the RawSocket and MQTT listeners.
 */
export function socketServer(config: ListenerConfig, context: NodeContext, accept: (socket: Socket) => void): Server {
  const tls = config.endpoint.tls;
  const server: Server = tls
    ? createTlsServer({
        key: readFileSync(tls.key),
        cert: readFileSync(tls.certificate),
        ca: tls.chainCertificates.map((file) => readFileSync(file)),
        ...(tls.ciphers ? { ciphers: tls.ciphers } : {}),
        ...(tls.dhparam ? { dhparam: readFileSync(tls.dhparam) } : {}),
      })
    : createTcpServer({ noDelay: true });
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    socket.setNoDelay(true);
    accept(socket);
  });
  if (tls) {
    server.on('tlsClientError', (error: Error & { code?: string }, socket: Socket) => {
      context.log.debug({ transport: config.id, code: error.code, err: error.message }, 'TLS handshake failed');
      socket.destroy();
    });
  }
  return server;
}

function rawSocketSettings(config: ListenerConfig): RawSocketConfig {
  if (!config.rawsocket) throw new UnsupportedConfigError(`transport "${config.id}": RawSocket settings are missing`);
  return config.rawsocket;
}

export function listenOn(server: Server, options: { port?: number; host?: string; path?: string; backlog?: number | undefined }): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error): void => reject(error);
    server.once('error', failed);
    server.listen({ ...options, ...(options.backlog === undefined ? {} : { backlog: options.backlog }) }, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/** "tcp4:203.0.113.7:51234"; an IPv4-mapped IPv6 address is given in its IPv4 form (one client, one address). */
export function tcpLabel(socket: Socket): string {
  const raw = socket.remoteAddress ?? 'unknown';
  const address = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(raw)?.[1] ?? raw;
  return `${isIP(address) === 6 ? 'tcp6' : 'tcp4'}:${address}:${socket.remotePort ?? 0}`;
}

/**
 * A socket file left behind by a process that died is removed; a file that is not a socket, or a
 * socket another process still listens on, is an error (never someone else's file or server).
 */
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

async function removeSocketFile(path: string): Promise<void> {
  try {
    if ((await lstat(path)).isSocket()) await unlink(path);
  } catch {
    // already gone (Node removes it when the server closes)
  }
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
