import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate, type Packet } from 'mqtt-packet';
import { publishWithUserProperties } from '../../../test/support/mqtt.js';
import { malformedStringMessage, StrictParser } from './strict-parser.js';

/** A QoS 0 PUBLISH (MQTT 3.1.1) with the topic's raw bytes. */
function publishWithTopic(topic: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([0, topic.length]), topic, Buffer.from('{}')]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function parse(bytes: Buffer): { packets: Packet[]; errors: string[] } {
  const packets: Packet[] = [];
  const errors: string[] = [];
  const parser = new StrictParser({ packet: (packet) => packets.push(packet), malformed: (error) => errors.push(error.message) });
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

describe('MQTT 5 User Properties', () => {
  const userProperties = (pairs: readonly [string, string][]) => {
    const connect = generate({ cmd: 'connect', protocolVersion: 5, clientId: 'props', clean: true, keepalive: 0 } as Packet);
    const { packets, errors } = parse(Buffer.concat([connect, publishWithUserProperties('t', 1, pairs)]));
    assert.deepEqual(errors, []);
    return { ...(packets[1] as { properties?: { userProperties?: object } }).properties?.userProperties };
  };

  it('keeps an empty value of a repeated name (mqtt-packet overwrote it with the next one)', () => {
    assert.deepEqual(userProperties([['a', ''], ['a', 'b'], ['c', '1'], ['c', '']]), { a: ['', 'b'], c: ['1', ''] });
    assert.deepEqual(userProperties([['a', ''], ['a', ''], ['a', '']]), { a: ['', '', ''] });
  });

  it('gives every value of interleaved names, grouped by name (the order between names is lost: docs/mqtt.md)', () => {
    assert.deepEqual(userProperties([['a', '1'], ['b', '2'], ['a', '3']]), { a: ['1', '3'], b: '2' });
    assert.deepEqual(userProperties([['x', 'y']]), { x: 'y' });
  });
});

describe('the parser leans on mqtt-packet 9\'s internals: these fail if they change under it', () => {
  function collecting(): { parser: StrictParser; packets: Packet[]; errors: string[] } {
    const packets: Packet[] = [];
    const errors: string[] = [];
    return { parser: new StrictParser({ packet: (packet) => packets.push(packet), malformed: (error) => errors.push(error.message) }), packets, errors };
  }
  const internals = (parser: StrictParser) => parser as unknown as { settings: object; _list: object; _states: readonly string[] };

  it('reads packets split at every byte, and tells the announced length of one being read', () => {
    const { parser, packets, errors } = collecting();
    const bytes = Buffer.concat([
      generate({ cmd: 'connect', protocolVersion: 4, clientId: 'split', clean: true, keepalive: 60 } as Packet),
      generate({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'.repeat(300)), qos: 1, messageId: 7, retain: false, dup: false } as Packet),
    ]);
    const publishAt = bytes.length - 300 - 2 - 3 - 2 - 3; // its fixed header: 1 octet and a 2-octet length
    for (let i = 0; i < bytes.length; i++) {
      parser.parse(bytes.subarray(i, i + 1));
      if (i === publishAt + 2) assert.equal(parser.pendingLength, 300 + 2 + 3 + 2, 'the PUBLISH\'s remaining length, once its header is read');
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(packets.map((packet) => packet.cmd), ['connect', 'publish']);
    assert.equal((packets[1] as { payload: Buffer }).payload.toString(), 'x'.repeat(300));
  });

  it('keeps no stream, a shared state table, and after CONNECT only its protocol version (never the password)', () => {
    const { parser, packets } = collecting();
    const other = collecting().parser;
    assert.equal(typeof (internals(parser)._list as { pipe?: unknown }).pipe, 'undefined', 'a plain buffer list, not bl\'s stream');
    assert.equal(internals(parser)._states, internals(other)._states);
    parser.parse(generate({ cmd: 'connect', protocolVersion: 5, clientId: 'v5', clean: true, keepalive: 60, username: 'u', password: Buffer.from('secret') } as Packet));
    assert.deepEqual(internals(parser).settings, { protocolVersion: 5 });
    // MQTT 5 packets are read as MQTT 5 after it: a SUBSCRIBE with a property.
    parser.parse(generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 1, rh: 2 }], properties: { userProperties: { k: 'v' } } } as Packet,
      { protocolVersion: 5 }));
    const subscribe = packets[1] as { subscriptions: { rh?: number }[]; properties?: { userProperties?: object } };
    assert.equal(subscribe.subscriptions[0]!.rh, 2);
    assert.deepEqual({ ...subscribe.properties?.userProperties }, { k: 'v' });
  });

  it('holds a list of its own only while a packet is partly read', () => {
    const a = collecting();
    const b = collecting();
    const publish = generate({ cmd: 'publish', topic: 'a', payload: Buffer.from('xyz'), qos: 0, retain: false, dup: false } as Packet);
    a.parser.parse(publish.subarray(0, 4));
    assert.equal((internals(a.parser)._list as { length: number }).length, 2, 'its fixed header read, 2 bytes of the rest');
    assert.equal((internals(b.parser)._list as { length: number }).length, 0, 'another parser\'s list is not shared with it');
    assert.notEqual(internals(a.parser)._list, internals(b.parser)._list);
    a.parser.parse(publish.subarray(4));
    assert.equal(internals(a.parser)._list, internals(b.parser)._list, 'both idle: the shared empty list');
    a.parser.parse(Buffer.from([0x32, 0x00])); // an error, then the next read starts afresh
    b.parser.parse(publish);
    assert.equal(a.errors.length, 1);
    assert.deepEqual(b.packets.map((packet) => packet.cmd), ['publish']);
    a.parser.parse(publish);
    assert.deepEqual(a.packets.map((packet) => packet.cmd), ['publish', 'publish'], 'the split one, then one after the error');
  });

  it('reports its first error once, and reads again after it', () => {
    const { parser, packets, errors } = collecting();
    parser.parse(Buffer.from([0x32, 0x00])); // a QoS 1 PUBLISH too short for its topic
    assert.equal(errors.length, 1);
    parser.parse(generate({ cmd: 'pingreq' } as Packet));
    assert.deepEqual(packets.map((packet) => packet.cmd), ['pingreq']);
  });
});
