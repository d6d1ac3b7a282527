/**
 * Junction's `_mqtt` publication key: the MQTT facts of a publication that WAMP has no place
 * for. An MQTT door sets it in PUBLISH options from the MQTT PUBLISH; a WAMP publisher may set
 * it too; the broker copies it, unchanged, into every EVENT's details, where MQTT doors read it
 * (and WAMP subscribers may). A WAMP custom key (the spec's `_` prefix), ignored by other routers.
 */

import type { Dict } from './messages.js';

export const mqttPropertiesKey = '_mqtt';

export interface MqttProperties {
  /** The publication's QoS: an MQTT subscriber receives at most this (a publication without it counts as 0). */
  qos?: 0 | 1 | 2;
  /** The publication carried MQTT's RETAIN flag: an MQTT 5 Retain As Published subscription passes it on. */
  retain?: boolean;
  /** MQTT 5 user properties: name -> value, or every value of a repeated name. */
  user_properties?: Record<string, string | string[]>;
  /** MQTT 5 Message Expiry Interval, seconds: a copy still queued for a client after this is dropped. */
  message_expiry?: number;
  /**
   * When `message_expiry` runs out, ms since the epoch: set by an MQTT door when it publishes, so
   * that a message retained or queued anywhere counts its interval from its publication.
   */
  expires_at?: number;
  content_type?: string;
  /** MQTT 5 Payload Format Indicator: 1 when the payload is UTF-8 text. */
  payload_format?: 0 | 1;
  response_topic?: string;
  correlation_data?: Uint8Array;
}

/** MQTT's Four Byte Integer (Message Expiry Interval) ceiling. */
const maxFourByteInteger = 4294967295;

type Check = (value: unknown) => boolean;

const isString: Check = (value) => typeof value === 'string';
const checks: { [K in keyof Required<MqttProperties>]: [Check, string] } = {
  qos: [(value) => value === 0 || value === 1 || value === 2, '0, 1 or 2'],
  retain: [(value) => typeof value === 'boolean', 'true or false'],
  user_properties: [
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)
      && Object.values(value).every((item) => isString(item) || (Array.isArray(item) && item.every(isString))),
    'an object of strings (or lists of strings)',
  ],
  message_expiry: [(value) => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= maxFourByteInteger, `an integer number of seconds, 0..${maxFourByteInteger}`],
  expires_at: [(value) => Number.isSafeInteger(value) && (value as number) >= 0, 'an integer number of milliseconds since the epoch'],
  content_type: [isString, 'a string'],
  payload_format: [(value) => value === 0 || value === 1, '0 or 1'],
  response_topic: [isString, 'a string (an MQTT topic name)'],
  correlation_data: [(value) => value instanceof Uint8Array, 'binary'],
};

/** Checks a publication's `_mqtt` value; the error names the key and what it must be. */
export function readMqttProperties(value: unknown): MqttProperties {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new Error(`option "${mqttPropertiesKey}" must be an object`);
  }
  for (const [key, item] of Object.entries(value as Dict)) {
    const check = checks[key as keyof MqttProperties];
    if (!check) throw new Error(`option "${mqttPropertiesKey}" has no key "${key}" (it has ${Object.keys(checks).join(', ')})`);
    if (!check[0](item)) throw new Error(`option "${mqttPropertiesKey}.${key}" must be ${check[1]}`);
  }
  return value as MqttProperties;
}

/**
 * When a publication's Message Expiry runs out, ms since the epoch, as an MQTT door stamped it;
 * undefined when it never does: no interval, an interval of 0, or an interval without `expires_at`
 * (a WAMP publisher's, which counts from each delivery).
 */
export function stampedExpiry(properties: MqttProperties | undefined): number | undefined {
  return properties?.message_expiry ? properties.expires_at : undefined;
}

/** The `_mqtt` of an EVENT's details (already checked where it was published), or undefined. */
export function mqttPropertiesOf(details: Dict): MqttProperties | undefined {
  return details[mqttPropertiesKey] as MqttProperties | undefined;
}
