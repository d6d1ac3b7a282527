import type { Dict } from '../../../protocol/messages.js';
import { mqttPropertiesKey, readMqttProperties } from '../../../protocol/mqtt-properties.js';
import { describe } from './json-request.js';
import { Refusal } from './refusal.js';

/** The WAMP publish options an HTTP publisher may set (issue #5), with the type each must have. */
const publishOptionTypes = {
  exclude: 'sessions',
  eligible: 'sessions',
  exclude_authid: 'strings',
  exclude_authrole: 'strings',
  eligible_authid: 'strings',
  eligible_authrole: 'strings',
  retain: 'boolean',
  // The publication's MQTT QoS and properties, for MQTT subscribers (docs/mqtt.md).
  [mqttPropertiesKey]: 'mqtt',
} as const;

export const publishOptionNames = Object.keys(publishOptionTypes);

/** Checks the type of each option (names were checked already); null means "not given". */
export function readPublishOptions(options: Record<string, unknown>): Dict {
  const checked: Dict = {};
  for (const [name, value] of Object.entries(options)) {
    if (value === null) continue;
    const type = publishOptionTypes[name as keyof typeof publishOptionTypes];
    if (type === 'mqtt') {
      try {
        readMqttProperties(value);
      } catch (error) {
        throw new Refusal(400, 'invalid_option', (error as Error).message);
      }
    } else if (!hasType(value, type)) {
      const wanted = type === 'sessions' ? 'a list of session IDs (integers 1..2^53)' : type === 'strings' ? 'a list of strings' : 'a boolean';
      throw new Refusal(400, 'invalid_option', `option "${name}" must be ${wanted}, not ${describe(value)}`);
    }
    checked[name] = value;
  }
  return checked;
}

function hasType(value: unknown, type: 'sessions' | 'strings' | 'boolean'): boolean {
  switch (type) {
    case 'boolean': return typeof value === 'boolean';
    case 'strings': return Array.isArray(value) && value.every((item) => typeof item === 'string');
    case 'sessions': return Array.isArray(value) && value.every((item) => Number.isInteger(item) && item >= 1 && item <= 2 ** 53);
  }
}
