import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate, type Packet } from 'mqtt-packet';
import { createStrictParser, malformedStringMessage } from './strict-parser.js';

/** A QoS 0 PUBLISH (MQTT 3.1.1) with the topic's raw bytes. */
function publishWithTopic(topic: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from('{}')]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function parse(bytes: Buffer): { packets: Packet[]; errors: string[] } {
  const parser = createStrictParser();
  const packets: Packet[] = [];
  const errors: string[] = [];
  parser.on('packet', (packet: Packet) => packets.push(packet));
  parser.on('error', (error: Error) => errors.push(error.message));
  parser.parse(bytes);
  return { packets, errors };
}

describe('MQTT strings are well-formed UTF-8 without U+0000', () => {
  it('reads UTF-8 topics of every width', () => {
    const { packets, errors } = parse(publishWithTopic(Buffer.from('caf\u00e9/\u65e5\u672c/\u{1f600}')));
    assert.deepEqual(errors, []);
    assert.equal((packets[0] as { topic: string }).topic, 'caf\u00e9/\u65e5\u672c/\u{1f600}');
  });

  for (const [what, topic] of [
    ['invalid bytes', Buffer.from([0x70, 0x2f, 0xff, 0xfe])],
    ['a truncated sequence', Buffer.from([0x61, 0xe6, 0x97])],
    ['an encoded surrogate', Buffer.from([0x61, 0xed, 0xa0, 0x80])],
    ['U+0000', Buffer.from('a\u0000b')],
  ] as const) {
    it(`refuses a topic with ${what} once, saying why, and emits no packet`, () => {
      const { packets, errors } = parse(publishWithTopic(topic));
      assert.deepEqual(errors, [malformedStringMessage]);
      assert.equal(packets.length, 0);
    });
  }

  it('refuses a CONNECT whose client id is not UTF-8', () => {
    const connect = generate({ cmd: 'connect', protocolVersion: 4, clientId: 'ab', clean: true, keepalive: 0 } as Packet);
    connect[connect.length - 2] = 0xff; // the client id's first byte
    assert.deepEqual(parse(connect).errors, [malformedStringMessage]);
  });
});
