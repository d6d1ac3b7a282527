import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readMqttProperties } from './mqtt-properties.js';

describe('the _mqtt publication key', () => {
  it('takes every key with the right type', () => {
    const value = {
      qos: 2, retain: true, user_properties: { a: 'b', c: ['d', 'e'] }, message_expiry: 60, expires_at: 1_800_000_000_000, content_type: 'text/plain',
      payload_format: 1, response_topic: 'a/b', correlation_data: Uint8Array.of(1, 2),
    };
    assert.deepEqual(readMqttProperties(value), value);
    assert.deepEqual(readMqttProperties({}), {});
  });

  it('refuses a wrong shape, naming the key and what it must be', () => {
    const cases: [unknown, RegExp][] = [
      [[1], /"_mqtt" must be an object/],
      [{ qos: 3 }, /"_mqtt\.qos" must be 0, 1 or 2/],
      [{ user_properties: { a: 1 } }, /"_mqtt\.user_properties" must be an object of strings/],
      [{ user_properties: ['a'] }, /"_mqtt\.user_properties" must be an object of strings/],
      [{ message_expiry: -1 }, /"_mqtt\.message_expiry" must be an integer number of seconds/],
      [{ message_expiry: 2 ** 32 }, /"_mqtt\.message_expiry"/],
      [{ expires_at: 1.5 }, /"_mqtt\.expires_at" must be an integer number of milliseconds/],
      [{ payload_format: true }, /"_mqtt\.payload_format" must be 0 or 1/],
      [{ correlation_data: 'abc' }, /"_mqtt\.correlation_data" must be binary/],
      [{ retain: 1 }, /"_mqtt\.retain" must be true or false/],
      [{ retained: true }, /"_mqtt" has no key "retained"/],
    ];
    for (const [value, message] of cases) assert.throws(() => readMqttProperties(value), message, JSON.stringify(value));
  });
});
