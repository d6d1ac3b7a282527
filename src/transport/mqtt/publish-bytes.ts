import { generate, type IPublishPacket, type Packet } from 'mqtt-packet';

/** The largest Remaining Length MQTT can write (four 7-bit bytes). */
const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * A PUBLISH packet's bytes, the same as mqtt-packet's generate() writes, straight into one buffer.
 * This is the packet of every event to every MQTT subscriber; generate() builds an EventEmitter,
 * a chunk list and a call to its debug logger per field for each, about a tenth of the router's
 * CPU in a 1,000-subscriber MQTT fan-out (bench/RESULTS.md). Packets with MQTT 5 properties,
 * and any too large to write, still go through generate().
 */
export function publishBytes(packet: IPublishPacket, version: number): Buffer {
  const { topic, qos, messageId } = packet;
  const payload = packet.payload as Uint8Array;
  if (packet.properties !== undefined || typeof topic !== 'string' || typeof payload === 'string' || (qos > 0 && typeof messageId !== 'number')) {
    return generate(packet as Packet, { protocolVersion: version });
  }
  const topicLength = Buffer.byteLength(topic);
  // Topic, packet id at QoS 1 and 2, an empty MQTT 5 property list, payload.
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + (version === 5 ? 1 : 0) + payload.byteLength;
  if (remaining > MAX_REMAINING_LENGTH) return generate(packet as Packet, { protocolVersion: version });
  const lengthBytes = remaining < 0x80 ? 1 : remaining < 0x4000 ? 2 : remaining < 0x20_0000 ? 3 : 4;
  const bytes = Buffer.allocUnsafe(1 + lengthBytes + remaining);
  bytes[0] = 0x30 | (packet.dup ? 0x08 : 0) | (qos << 1) | (packet.retain ? 0x01 : 0);
  let at = 1;
  for (let left = remaining; ; ) {
    const low = left % 0x80;
    left = Math.floor(left / 0x80);
    bytes[at++] = left > 0 ? low | 0x80 : low;
    if (left === 0) break;
  }
  bytes.writeUInt16BE(topicLength, at);
  at += 2;
  at += bytes.write(topic, at, 'utf8');
  if (qos > 0) {
    bytes.writeUInt16BE(messageId!, at);
    at += 2;
  }
  if (version === 5) bytes[at++] = 0;
  bytes.set(payload, at);
  return bytes;
}
