import type { AddressInfo } from 'node:net';
import type { ListenerConfig, MqttService as MqttSettings } from '../config/model.js';
import { MqttService } from '../transport/mqtt/mqtt-service.js';
import type { RawSocketAcceptor } from '../transport/rawsocket/sniff.js';
import { UnsupportedConfigError } from './auth-wiring.js';
import type { Listener } from './node.js';
import { listenOn, socketServer, tcpLabel } from './rawsocket-listener.js';
import type { NodeContext } from './web/service-context.js';

/**
 * An `mqtt` transport: MQTT 3.1.1 and 5.0 on a TCP port (TLS when configured). Each client signs
 * in through the transport's auth gate and becomes a session of the transport's realm.
 */
/** The MQTT side of an `mqtt` or `universal` listener: its settings, auth and metrics behind one MqttService. */
export function mqttAcceptor(config: ListenerConfig, context: NodeContext): RawSocketAcceptor {
  const settings = mqttSettings(config);
  const gate = context.auth.gate(settings.auth, `transport "${config.id}"`);
  const service = new MqttService(
    settings,
    (peer) => context.router.attach(peer, gate, { helloTimeoutMs: settings.openHandshakeTimeout }),
    context.log.child({ transport: config.id, mqtt: true }),
    context.metrics,
    config.id,
    config.endpoint.tls !== undefined,
  );
  return {
    accept: (socket) => service.accept(socket, tcpLabel(socket), socket.remoteAddress ?? 'unknown'),
    close: () => service.close(),
  };
}

/**
 * An `mqtt` transport: MQTT 3.1.1 and 5.0 on a TCP port (TLS when configured). Each client signs
 * in through the transport's auth gate and becomes a session of the transport's realm.
 */
export function mqttListener(config: ListenerConfig, context: NodeContext): Listener {
  const acceptor = mqttAcceptor(config, context);
  const server = socketServer(config, context, (socket) => acceptor.accept(socket));
  const scheme = config.endpoint.tls ? 'mqtts' : 'mqtt';
  return {
    listen: async () => {
      const { endpoint } = config;
      await listenOn(server, { port: endpoint.port, host: endpoint.interface, backlog: endpoint.backlog });
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { port: address.port, served: [{ url: `${scheme}://${host}:${address.port}`, service: 'mqtt' }] };
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await acceptor.close();
      await closed;
    },
  };
}

function mqttSettings(config: ListenerConfig): MqttSettings {
  if (!config.mqtt) throw new UnsupportedConfigError(`transport "${config.id}": MQTT settings are missing`);
  return config.mqtt;
}
