import type { ListenerConfig, MqttService as MqttSettings } from '../config/model.js';
import { clientRegistry } from '../transport/mqtt/client-registry.js';
import { MqttService } from '../transport/mqtt/mqtt-service.js';
import type { RawSocketAcceptor } from '../transport/rawsocket/sniff.js';
import { UnsupportedConfigError } from './auth-wiring.js';
import type { Listener, ServedUrl } from './listeners.js';
import { acceptStreams, SwappableAcceptor, tcpLabel } from './rawsocket-listener.js';
import type { ListenerChange } from './reload/config-diff.js';
import { authorityOf, listenOn, portOf, releaseEndpoint, streamServerFor } from './socket-server.js';
import type { NodeContext } from './web/service-context.js';

/**
 * An `mqtt` transport: MQTT 3.1.1 and 5.0 on a TCP port (TLS when configured). Each client signs
 * in through the transport's auth gate and becomes a session of the transport's realm.
 */
/**
 * The MQTT side of an `mqtt` or `universal` listener: its settings, auth and metrics behind one
 * MqttService. Sockets are labelled as RawSocket's: "tcp4:ip:port", "tcp6:ip:port", "unix:<path>".
 */
export function mqttAcceptor(config: ListenerConfig, context: NodeContext, unixPath?: string): RawSocketAcceptor {
  const settings = mqttSettings(config);
  const gate = context.auth.gate(settings.auth, `transport "${config.id}"`);
  const service = new MqttService(
    settings,
    (peer) => context.router.attach(peer, gate, { helloTimeoutMs: settings.openHandshakeTimeout }),
    clientRegistry(context.router, settings.realm, context.metrics),
    context.log.child({ transport: config.id, mqtt: true }),
    context.metrics,
    config.id,
    config.endpoint.tls !== undefined,
  );
  return {
    accept: (socket) => unixPath !== undefined
      ? service.accept(socket, `unix:${unixPath}`, undefined)
      : service.accept(socket, tcpLabel(socket), socket.remoteAddress ?? 'unknown'),
    close: () => service.close(),
  };
}

/**
 * An `mqtt` transport: MQTT 3.1.1 and 5.0 on a TCP port (TLS when configured) or a Unix socket.
 * Each client signs in through the transport's auth gate and becomes a session of its realm.
 */
export function mqttListener(config: ListenerConfig, context: NodeContext): Listener {
  const { endpoint } = config;
  const unixPath = endpoint.type === 'unix' ? endpoint.path : undefined;
  const acceptor = new SwappableAcceptor(mqttAcceptor(config, context, unixPath));
  const server = streamServerFor(endpoint);
  acceptStreams(server, config, context, (socket) => acceptor.accept(socket));
  const scheme = endpoint.tls ? 'mqtts' : 'mqtt';
  let served: ServedUrl[] = [];
  return {
    server,
    served: () => served,
    // New settings take the next connections; connected clients keep theirs (their sessions stay in the realm's registry).
    update: async (change: ListenerChange, node: NodeContext) => {
      if (change.mqttChanged) acceptor.swap(mqttAcceptor(change.after, node, unixPath));
      return [];
    },
    listen: async () => {
      const address = await listenOn(server, endpoint);
      served = [{ url: `${scheme}://${authorityOf(address)}`, service: 'mqtt' }];
      return { port: portOf(address), served };
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await acceptor.close();
      await closed;
      await releaseEndpoint(endpoint);
    },
  };
}

function mqttSettings(config: ListenerConfig): MqttSettings {
  if (!config.mqtt) throw new UnsupportedConfigError(`transport "${config.id}": MQTT settings are missing`);
  return config.mqtt;
}
