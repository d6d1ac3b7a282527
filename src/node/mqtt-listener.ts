import { ServiceSessions } from '../auth/service-sessions.js';
import type { ListenerConfig, MqttService as MqttSettings } from '../config/model.js';
import { clientCertificateOf } from '../transport/client-certificate.js';
import { clientRegistry } from '../transport/mqtt/client-registry.js';
import { MqttService } from '../transport/mqtt/mqtt-service.js';
import type { RawSocketAcceptor } from '../transport/rawsocket/sniff.js';
import { UnsupportedConfigError } from './auth-wiring.js';
import type { Listener } from './listener-types.js';
import { streamListener, tcpLabel } from './rawsocket-listener.js';
import type { NodeContext } from './web/service-context.js';

/**
 * The MQTT side of an `mqtt` or `universal` listener: its settings, auth and metrics behind one
 * MqttService. Sockets are labelled as RawSocket's: "tcp4:ip:port", "tcp6:ip:port", "unix:<path>".
 */
export function mqttAcceptor(config: ListenerConfig, context: NodeContext, unixPath?: string): RawSocketAcceptor {
  const settings = mqttSettings(config);
  const gate = context.auth.gate(settings.auth, `transport "${config.id}"`);
  const codecCaller = mqttCodecCaller(context, settings.codecTimeout);
  const service = new MqttService(
    settings,
    (peer) => context.router.attach(peer, gate, { helloTimeoutMs: settings.openHandshakeTimeout }),
    clientRegistry(context.router, settings.realm, context.metrics),
    context.log.child({ transport: config.id, mqtt: true }),
    context.metrics,
    config.id,
    config.endpoint.tls !== undefined,
    context.config.maxNestingDepth,
    codecCaller,
  );
  return {
    accept: (socket) => unixPath !== undefined
      ? service.accept(socket, `unix:${unixPath}`, undefined)
      : service.accept(socket, tcpLabel(socket), socket.remoteAddress ?? 'unknown', { certificate: clientCertificateOf(socket) }),
    close: async () => {
      await service.close();
      await codecCaller.close();
    },
  };
}

/** The router's trusted sessions through which a transport's dynamic payload encoders and decoders are called (joined at the first call). */
export function mqttCodecCaller(context: NodeContext, timeoutMs: number): ServiceSessions {
  const sessions = new ServiceSessions(timeoutMs);
  sessions.connect((peer, gate, options) => context.router.attach(peer, gate, options));
  return sessions;
}

/**
 * An `mqtt` transport: MQTT 3.1.1 and 5.0 on a TCP port (TLS when configured) or a Unix socket.
 * Each client signs in through the transport's auth gate and becomes a session of its realm.
 */
export function mqttListener(config: ListenerConfig, context: NodeContext): Listener {
  return streamListener(config, context, {
    acceptorFor: mqttAcceptor,
    // Connected clients keep their settings (their sessions stay in the realm's registry).
    changed: (change) => change.mqttChanged,
    schemes: ['mqtt', 'mqtts'],
    service: 'mqtt',
  });
}

function mqttSettings(config: ListenerConfig): MqttSettings {
  if (!config.mqtt) throw new UnsupportedConfigError(`transport "${config.id}": MQTT settings are missing`);
  return config.mqtt;
}
