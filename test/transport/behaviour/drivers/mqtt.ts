import { connect, type Socket } from 'node:net';
import { generate, parser as createParser, type Packet } from 'mqtt-packet';
import type { Codec } from '../../../../src/codec/index.js';
import { WireConnection } from '../wire.js';

/**
 * The behavioural suite's pub/sub over MQTT 5: the suite's WAMP wire messages are written as the
 * MQTT packets an MQTT device would send, and MQTT packets read back as the WAMP messages they
 * stand for, so that one test checks WAMP and MQTT alike. What MQTT has no packet for (CALL,
 * REGISTER) cannot be sent: the suite runs only its pub/sub tests over this driver.
 *
 * HELLO is CONNECT (WELCOME: CONNACK 0, with no WAMP session id to tell), SUBSCRIBE is SUBSCRIBE
 * at QoS 1, PUBLISH is PUBLISH (QoS 1 when acknowledged: PUBACK is PUBLISHED), EVENT is an
 * incoming PUBLISH. Payloads are the native form {"args": [...], "kwargs": {...}} in the codec
 * the transport maps (one mqtt transport per codec).
 */
export class MqttWireConnection extends WireConnection {
  private readonly parser = createParser({ protocolVersion: 5 });
  private nextPacketId = 1;
  /** MQTT packet id -> the WAMP request it answers. */
  private readonly pending = new Map<number, number>();
  /** The SUBSCRIBE packets' topics by packet id, so that SUBACK can name the subscription. */
  private readonly subscribedTopics = new Map<number, string>();
  /** MQTT topic -> the subscription id this driver made up for it. */
  private readonly subscriptions = new Map<string, number>();

  private constructor(codec: Codec, private readonly socket: Socket) {
    super(codec);
    this.parser.on('packet', (packet: Packet) => this.packet(packet));
    socket.on('data', (chunk: Buffer) => this.parser.parse(chunk));
    socket.on('close', () => this.ended('socket closed'));
    socket.on('error', () => {}); // 'close' follows
  }

  static async open(port: number, codec: Codec): Promise<MqttWireConnection> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new MqttWireConnection(codec, socket);
  }

  send(message: unknown[]): void {
    switch (message[0]) {
      case 1: // HELLO
        return this.write({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: '', clean: true, keepalive: 0 });
      case 32: { // SUBSCRIBE [32, request, options, topic]
        const messageId = this.packetId(message[1] as number);
        return this.write({ cmd: 'subscribe', messageId, subscriptions: [{ topic: topicOf(message[3]), qos: 1 }] });
      }
      case 16: { // PUBLISH [16, request, options, topic, args?, kwargs?]
        const acknowledged = (message[2] as { acknowledge?: boolean }).acknowledge === true;
        const payload = this.encodePayload({ args: message[4] ?? [], ...(message[5] === undefined ? {} : { kwargs: message[5] }) });
        const messageId = acknowledged ? this.packetId(message[1] as number) : undefined;
        return this.write({ cmd: 'publish', topic: topicOf(message[3]), payload, qos: acknowledged ? 1 : 0, retain: false, dup: false, ...(messageId === undefined ? {} : { messageId }) });
      }
      default:
        throw new Error(`MQTT has no packet for WAMP message type ${String(message[0])}`);
    }
  }

  async drop(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  private packet(packet: Packet): void {
    switch (packet.cmd) {
      case 'connack':
        return this.received(packet.reasonCode === 0 ? [2, 0, {}] : [3, {}, `mqtt.connack.${packet.reasonCode}`]);
      case 'suback': {
        const request = this.answered(packet.messageId!);
        const code = packet.granted[0] as number;
        if (code >= 0x80) return this.received([8, 32, request, {}, `mqtt.suback.${code}`]);
        const id = this.subscriptions.size + 1;
        const topic = this.subscribedTopics.get(packet.messageId!);
        if (topic !== undefined) this.subscriptions.set(topic, id);
        return this.received([33, request, id]);
      }
      case 'puback': {
        const request = this.answered(packet.messageId!);
        const code = packet.reasonCode ?? 0;
        return this.received(code >= 0x80 ? [8, 16, request, {}, `mqtt.puback.${code}`] : [17, request, 0]);
      }
      case 'publish': {
        if (packet.qos > 0) this.write({ cmd: packet.qos === 1 ? 'puback' : 'pubrec', messageId: packet.messageId });
        const { args = [], kwargs = {} } = this.decodePayload(packet.payload as Buffer) as { args?: unknown[]; kwargs?: Record<string, unknown> };
        return this.received([36, this.subscriptions.get(packet.topic) ?? 0, 0, {}, args, kwargs]);
      }
      default:
        return; // DISCONNECT before a close, PUBREL...: nothing a WAMP peer would see
    }
  }

  private write(packet: Record<string, unknown>): void {
    if (packet.cmd === 'subscribe') {
      this.subscribedTopics.set(packet.messageId as number, (packet.subscriptions as { topic: string }[])[0]!.topic);
    }
    this.socket.write(generate(packet as unknown as Packet, { protocolVersion: 5 }));
  }

  private packetId(request: number): number {
    const id = this.nextPacketId++;
    this.pending.set(id, request);
    return id;
  }

  private answered(packetId: number): number {
    const request = this.pending.get(packetId);
    if (request === undefined) throw new Error(`an answer to packet ${packetId}, which was never sent`);
    this.pending.delete(packetId);
    return request;
  }

  /** One value in the codec: JSON without the array brackets, msgpack / cbor without the one-element array's header byte. */
  private encodePayload(value: unknown): Buffer {
    const encoded = this.codec.encode([value]);
    return typeof encoded === 'string' ? Buffer.from(encoded.slice(1, -1), 'utf8') : Buffer.from(encoded.subarray(1));
  }

  private decodePayload(payload: Buffer): unknown {
    return this.codec.binary ? this.codec.decode(payload) : (this.codec.decode(`[${payload.toString('utf8')}]`) as unknown[])[0];
  }
}

/** A WAMP topic as the MQTT topic name a device would use. */
function topicOf(uri: unknown): string {
  return String(uri).split('.').join('/');
}
