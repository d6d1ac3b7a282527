import { isIP, type Server, type Socket } from 'node:net';
import { codecByName } from '../codec/index.js';
import type { ListenerConfig, RawSocketService as RawSocketConfig } from '../config/model.js';
import { RawSocketService } from '../transport/rawsocket/rawsocket-service.js';
import type { RawSocketAcceptor } from '../transport/rawsocket/sniff.js';
import { UnsupportedConfigError } from './auth-wiring.js';
import type { NodeContext } from './web/service-context.js';
import type { Listener, ServedUrl } from './listener-types.js';
import type { ListenerChange } from './reload/config-diff.js';
import { authorityOf, portOf, streamServerFor } from './socket-server.js';
import { SwappableAcceptor } from './swappable-acceptor.js';
import { tlsWarningLogger } from './tls-warnings.js';

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
    (peer, helloTimeoutMs) => context.router.attach(peer, gate, { helloTimeoutMs, sessionSeries: true }),
    { ...settings, codecs: settings.serializers.map(codecByName), maxNestingDepth: context.config.maxNestingDepth },
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
  return streamListener(config, context, {
    acceptorFor: rawSocketAcceptor,
    changed: (change) => change.rawsocketChanged,
    schemes: ['rs', 'rss'],
    service: 'rawsocket',
  });
}

/** What distinguishes one protocol's stream listener (RawSocket, MQTT) from another's. */
export interface StreamProtocol {
  acceptorFor(config: ListenerConfig, context: NodeContext, unixPath?: string): RawSocketAcceptor;
  /** Whether a reload changed this protocol's settings (new connections then take the new ones). */
  changed(change: ListenerChange): boolean;
  /** URL schemes, plain and over TLS. */
  schemes: [string, string];
  service: string;
}

/**
 * A listener whose every connection is one protocol's byte stream, on a TCP port (TLS when
 * configured) or a Unix socket. A reload swaps the acceptor: connected clients keep theirs.
 */
export function streamListener(config: ListenerConfig, context: NodeContext, protocol: StreamProtocol): Listener {
  const { endpoint } = config;
  const unixPath = endpoint.type === 'unix' ? endpoint.path : undefined;
  const acceptor = new SwappableAcceptor(protocol.acceptorFor(config, context, unixPath));
  const server = streamServerFor(endpoint, tlsWarningLogger(config.id, context.log));
  acceptStreams(server, config, context, (socket) => acceptor.accept(socket));
  const scheme = protocol.schemes[endpoint.tls ? 1 : 0];
  let served: ServedUrl[] = [];

  return {
    server,
    served: () => served,
    update: async (change: ListenerChange, node: NodeContext) => {
      if (protocol.changed(change)) acceptor.swap(protocol.acceptorFor(change.after, node, unixPath));
      return [];
    },
    listen: async () => {
      const address = await context.ports.listen(server, endpoint, config.id);
      served = [{ url: `${scheme}://${authorityOf(address)}`, service: protocol.service }];
      return { port: portOf(address), served };
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await acceptor.close();
      await closed;
      await context.ports.release(endpoint);
    },
  };
}

/**
 * Hands each connected socket of a byte-stream listener (after its TLS handshake, when TLS) to
 * `accept` with Nagle off; a failed TLS handshake only ends that socket. RawSocket and MQTT listeners.
 */
export function acceptStreams(server: Server, config: ListenerConfig, context: NodeContext, accept: (socket: Socket) => void): void {
  const tls = config.endpoint.tls !== undefined;
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
}

function rawSocketSettings(config: ListenerConfig): RawSocketConfig {
  if (!config.rawsocket) throw new UnsupportedConfigError(`transport "${config.id}": RawSocket settings are missing`);
  return config.rawsocket;
}

/** "tcp4:203.0.113.7:51234"; an IPv4-mapped IPv6 address is given in its IPv4 form (one client, one address). */
export function tcpLabel(socket: Socket): string {
  const raw = socket.remoteAddress ?? 'unknown';
  const address = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(raw)?.[1] ?? raw;
  return `${isIP(address) === 6 ? 'tcp6' : 'tcp4'}:${address}:${socket.remotePort ?? 0}`;
}
