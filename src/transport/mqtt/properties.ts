/**
 * A PUBLISH's (or will's) MQTT 5 properties <-> the publication's `_mqtt` (protocol/mqtt-properties):
 * what travels through the router with the event, so that MQTT to MQTT keeps them.
 */

import type { IPublishPacket, QoS } from 'mqtt-packet';
import type { MqttProperties } from '../../protocol/mqtt-properties.js';

/** The properties of an inbound PUBLISH or of a will, as mqtt-packet reads them. */
export interface PacketProperties {
  userProperties?: Record<string, string | string[]>;
  messageExpiryInterval?: number;
  contentType?: string;
  payloadFormatIndicator?: boolean;
  responseTopic?: string;
  correlationData?: Buffer;
}

/** The publication's `_mqtt` from what the client sent: its QoS, its RETAIN flag when set, and the properties that carry through. */
export function fromPacket(qos: QoS, properties: PacketProperties | undefined, retain = false): MqttProperties {
  const mqtt: MqttProperties = retain ? { qos, retain } : { qos };
  if (!properties) return mqtt;
  if (properties.userProperties !== undefined) mqtt.user_properties = properties.userProperties;
  if (properties.messageExpiryInterval !== undefined) mqtt.message_expiry = properties.messageExpiryInterval;
  if (properties.contentType !== undefined) mqtt.content_type = properties.contentType;
  if (properties.payloadFormatIndicator !== undefined) mqtt.payload_format = properties.payloadFormatIndicator ? 1 : 0;
  if (properties.responseTopic !== undefined) mqtt.response_topic = properties.responseTopic;
  if (properties.correlationData !== undefined) mqtt.correlation_data = new Uint8Array(properties.correlationData);
  return mqtt;
}

/**
 * An outbound MQTT 5 PUBLISH's properties from the event's `_mqtt`; `expirySeconds` is what is
 * left of its Message Expiry Interval (MQTT wants the remaining time, not the original);
 * `subscriptionIdentifier`: that of the subscription it is delivered for.
 */
export function toPacket(mqtt: MqttProperties | undefined, expirySeconds: number | undefined, subscriptionIdentifier?: number): IPublishPacket['properties'] | undefined {
  if (!mqtt && expirySeconds === undefined && subscriptionIdentifier === undefined) return undefined;
  const properties: NonNullable<IPublishPacket['properties']> = {};
  if (subscriptionIdentifier !== undefined) properties.subscriptionIdentifier = subscriptionIdentifier;
  if (mqtt?.user_properties !== undefined) properties.userProperties = mqtt.user_properties;
  if (expirySeconds !== undefined) properties.messageExpiryInterval = expirySeconds;
  if (mqtt?.content_type !== undefined) properties.contentType = mqtt.content_type;
  if (mqtt?.payload_format !== undefined) properties.payloadFormatIndicator = mqtt.payload_format === 1;
  if (mqtt?.response_topic !== undefined) properties.responseTopic = mqtt.response_topic;
  if (mqtt?.correlation_data !== undefined) {
    const data = mqtt.correlation_data;
    properties.correlationData = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  return Object.keys(properties).length === 0 ? undefined : properties;
}
