/** An MQTT transport of the file -> the model's MqttService: defaults filled in, auth in one place. */

import type { MqttPayloadFormat, MqttService } from './model.js';
import { authConfig } from './normalize-auth.js';
import type { FunctionAuthenticators } from './normalize-function-auth.js';
import type { MqttPartFile, MqttPathServiceFile, MqttTransportFile } from './schema-mqtt.js';

/** Without a mapping for the prefix "", a topic no prefix covers is read as Crossbar's usual native JSON. */
const defaultPayloadFormat: MqttPayloadFormat = { type: 'native', serializer: 'json' };

/** An mqtt transport, a universal transport's mqtt part or an mqtt path service (the same options). */
export function mqttConfig(transport: MqttTransportFile | MqttPartFile | MqttPathServiceFile, functions: FunctionAuthenticators): MqttService {
  const options = transport.options;
  const file = transport.auth ?? options.auth;
  const auth = file === undefined
    ? { anonymous: { type: 'static' as const, role: options.role ?? 'anonymous' } }
    : authConfig(file, functions);
  return {
    realm: options.realm,
    payloadMapping: payloadMapping(options.realm, options.payload_mapping),
    auth,
    maxPacketSize: options.max_packet_size,
    receiveMaximum: options.receive_maximum,
    maxInflight: options.max_inflight,
    maxInflightBytes: options.max_inflight_bytes,
    maxQueuedMessages: options.max_queued_messages,
    maxQueuedBytes: options.max_queued_bytes,
    maxTotalQueuedBytes: options.max_total_queued_bytes,
    maxTotalWillBytes: options.max_total_will_bytes,
    maxNoLocalHeld: options.max_no_local_held,
    maxNoLocalHeldBytes: options.max_no_local_held_bytes,
    maxSubscriptions: options.max_subscriptions,
    maxConnections: options.max_connections,
    maxPerAddress: options.max_per_address,
    maxSessions: options.max_sessions,
    connectionRate: options.connection_rate,
    maxSessionExpiry: options.max_session_expiry,
    openHandshakeTimeout: options.open_handshake_timeout,
    maxBufferedBytes: options.max_buffered_bytes,
    codecTimeout: options.codec_timeout,
    maxCodecCallsPerConnection: options.max_codec_calls_per_connection,
    maxCodecCalls: options.max_codec_calls,
  };
}

/** A dynamic format's procedures are called in the transport's realm unless it names another (as Crossbar). */
function payloadMapping(realm: string, file: MqttTransportFile['options']['payload_mapping']): Record<string, MqttPayloadFormat> {
  const mapping: Record<string, MqttPayloadFormat> = { '': defaultPayloadFormat };
  for (const [prefix, format] of Object.entries(file ?? {})) {
    mapping[prefix] = format.type === 'dynamic' ? { ...format, realm: format.realm ?? realm } : format;
  }
  return mapping;
}
