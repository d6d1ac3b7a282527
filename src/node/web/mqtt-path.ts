import { WebSocketServer } from 'ws';
import type { MqttPathService } from '../../config/model.js';
import { clientCertificateOf } from '../../transport/client-certificate.js';
import { requestPath } from '../../transport/request-path.js';
import { clientRegistry } from '../../transport/mqtt/client-registry.js';
import { MqttService } from '../../transport/mqtt/mqtt-service.js';
import { mqttCodecCaller } from '../mqtt-listener.js';
import { WebSocketAsMqttSocket } from '../../transport/mqtt/websocket-socket.js';
import type { PathServiceFactory } from './service-context.js';

/** The WebSocket subprotocol of MQTT (MQTT 3.1.1 and 5.0 both name it so). */
const mqttSubprotocol = 'mqtt';

/**
 * MQTT over WebSocket at a path (Junction extension), for browser MQTT clients: the same
 * service, options and auth as an mqtt transport, on a WebSocket that negotiated "mqtt".
 */
export const mqttPath: PathServiceFactory<MqttPathService> = (service, context) => {
  const gate = context.auth.gate(service.auth, context.where);
  const codecCaller = mqttCodecCaller(context, service.codecTimeout);
  const mqtt = new MqttService(
    service,
    (peer) => context.router.attach(peer, gate, { helloTimeoutMs: service.openHandshakeTimeout }),
    clientRegistry(context.router, service.realm, context.metrics),
    context.log.child({ mqtt: true }),
    context.metrics,
    `${context.listener.id}${context.path}`,
    context.listener.endpoint.tls !== undefined,
    context.config.maxNestingDepth,
    codecCaller,
  );
  const server = new WebSocketServer({
    noServer: true,
    // A WebSocket message holds at least one MQTT packet's worth; the MQTT limit is checked on the packets.
    maxPayload: service.maxPacketSize + 8,
    handleProtocols: (offers) => (offers.has(mqttSubprotocol) ? mqttSubprotocol : false),
  });
  return {
    // Any page may open it from its own origin; its clients sign in with MQTT's own credentials.
    hostCheck: 'none',
    upgradeRequired: `This is an MQTT over WebSocket path: connect with an MQTT client offering the "${mqttSubprotocol}" subprotocol.`,
    upgrade: (request, socket, head) => {
      const client = context.clientAddress(request);
      server.handleUpgrade(request, socket, head, (ws) => {
        if (ws.protocol !== mqttSubprotocol) {
          ws.close(1002, 'this path speaks MQTT: offer the "mqtt" subprotocol');
          return;
        }
        // The TLS connection is the client's own unless a proxy ended it (then there is no certificate).
        mqtt.accept(new WebSocketAsMqttSocket(ws), client.label, client.address, {
          certificate: clientCertificateOf(request.socket), path: requestPath(request.url),
        });
      });
    },
    close: async () => {
      await mqtt.close();
      await codecCaller.close();
    },
  };
};
