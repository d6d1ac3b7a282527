import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generate, type IPublishPacket, type Packet } from 'mqtt-packet';
import { acknowledgementBytes, publishBytes } from './publish-bytes.js';

/** Payload sizes putting the Remaining Length on each side of its 1, 2 and 3-byte limits. */
const PAYLOAD_SIZES = [0, 1, 100, 120, 127, 128, 200, 16_370, 16_383, 16_384, 16_400, 2_097_140, 2_097_152];

function packet(fields: Partial<IPublishPacket>): IPublishPacket {
  return { cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(0), qos: 0, dup: false, retain: false, ...fields };
}

function assertSameAsGenerate(subject: IPublishPacket, version: number, what: string): void {
  const ours = publishBytes(subject, version);
  const theirs = generate(subject as Packet, { protocolVersion: version });
  assert.ok(ours.equals(theirs), `${what}: ${ours.subarray(0, 16).toString('hex')} vs ${theirs.subarray(0, 16).toString('hex')}`);
}

describe('PUBLISH packets written directly', () => {
  it('are byte for byte what mqtt-packet writes: every version, QoS, flag and length form', () => {
    for (const version of [3, 4, 5]) {
      for (const qos of [0, 1, 2] as const) {
        for (const dup of [false, true]) {
          for (const retain of [false, true]) {
            for (const size of PAYLOAD_SIZES) {
              // Distinct bytes, so a payload written at the wrong offset shows.
              const payload = Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
              const fields = { qos, dup, retain, payload, ...(qos > 0 ? { messageId: 1 + (size % 65_535) } : {}) };
              assertSameAsGenerate(packet(fields), version, `v${version} qos ${qos} dup ${dup} retain ${retain} ${size} bytes`);
            }
          }
        }
      }
    }
  });

  it('write multi-byte UTF-8 topics by their byte length, and packet ids up to 65535', () => {
    for (const topic of ['caf\u00e9/\u65e5\u672c/\u{1f600}', 'x', 'sensors/kitchen/temp'.repeat(50)]) {
      for (const version of [4, 5]) {
        assertSameAsGenerate(packet({ topic, qos: 1, messageId: 65_535, payload: Buffer.from('{"args":[1]}') }), version, topic);
      }
    }
  });

  it('take a payload that is a view into a larger buffer as its bytes only', () => {
    const backing = Buffer.from('xxxx{"args":[20]}yyyy');
    const view = backing.subarray(4, backing.length - 4);
    const bytes = publishBytes(packet({ payload: view }), 4);
    assert.equal(bytes.subarray(bytes.length - view.length).toString(), '{"args":[20]}');
    assert.equal(bytes.length, 2 + 2 + 3 + view.length);
  });

  it('leave MQTT 5 properties to mqtt-packet', () => {
    const withProperties = packet({ qos: 1, messageId: 7, payload: Buffer.from('p'), properties: { contentType: 'text/plain', messageExpiryInterval: 30, userProperties: { a: 'b' } } });
    assertSameAsGenerate(withProperties, 5, 'with properties');
    assert.ok(publishBytes(withProperties, 5).includes(Buffer.from('text/plain')));
  });
});

describe('acknowledgements written directly', () => {
  it('are byte for byte what mqtt-packet writes: every kind, version and packet id, with and without reason code 0', () => {
    for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
      for (const version of [3, 4, 5]) {
        for (const messageId of [1, 255, 256, 258, 65_535]) {
          for (const reason of [{}, { reasonCode: 0 }]) {
            const subject = { cmd, messageId, ...reason };
            const ours = acknowledgementBytes(subject, version);
            const theirs = generate(subject as Packet, { protocolVersion: version });
            assert.ok(ours?.equals(theirs), `${cmd} v${version} ${messageId} ${JSON.stringify(reason)}: ${ours?.toString('hex')} vs ${theirs.toString('hex')}`);
          }
        }
      }
    }
  });

  it('leave other packets, failure codes and properties to mqtt-packet', () => {
    assert.equal(acknowledgementBytes({ cmd: 'pingresp' }, 4), undefined);
    assert.equal(acknowledgementBytes({ cmd: 'puback', messageId: 1, reasonCode: 0x97 }, 5), undefined);
    assert.equal(acknowledgementBytes({ cmd: 'puback', messageId: 1, reasonCode: 0x10 }, 4), undefined);
    assert.equal(acknowledgementBytes({ cmd: 'pubcomp', messageId: 1, reasonCode: 0x92, properties: { reasonString: 'x' } }, 5), undefined);
  });
});
