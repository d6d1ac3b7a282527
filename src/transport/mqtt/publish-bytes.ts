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

/** The first octet of each acknowledgement (PUBREL has its reserved flag bits 0010). */
const acknowledgementHeader: Record<string, number> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };

/**
 * A PUBACK, PUBREC, PUBREL or PUBCOMP without reason string or user properties, the same bytes as
 * generate() writes (for MQTT 5 without a reason code: reason 0 and an empty property list), or
 * undefined for any other packet. One goes back for every QoS 1/2 PUBLISH a client sends, and
 * generate() costs as much for these 4 bytes as for a PUBLISH (see publishBytes).
 */
export function acknowledgementBytes(packet: { cmd: string; messageId?: number; reasonCode?: number; properties?: object }, version: number): Buffer | undefined {
  const header = acknowledgementHeader[packet.cmd];
  const { messageId, reasonCode } = packet;
  if (header === undefined || typeof messageId !== 'number' || packet.properties !== undefined) return undefined;
  if (version !== 5 || reasonCode === 0) {
    if (reasonCode !== undefined && reasonCode !== 0) return undefined;
    return Buffer.from([header, 2, messageId >> 8, messageId & 0xff]);
  }
  if (reasonCode !== undefined) return undefined;
  return Buffer.from([header, 4, messageId >> 8, messageId & 0xff, 0, 0]);
}
