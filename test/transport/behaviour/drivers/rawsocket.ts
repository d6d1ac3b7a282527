import { connect, type Socket } from 'node:net';
import type { Codec } from '../../../../src/codec/index.js';
import { WireConnection } from '../wire.js';

/**
 * WAMP over RawSocket (TCP) written from the WAMP spec, independent of Junction's own RawSocket
 * code: a 4-octet handshake (0x7F, max-length exponent and serializer, two zero octets), then
 * frames with a 4-octet header (type in the low 3 bits of the first octet, 24-bit length).
 */

const serializerIds: Record<string, number> = { json: 1, msgpack: 2, cbor: 3 };
/** We accept messages of up to 2^(9+15) = 16 MiB. */
const OUR_LENGTH_EXPONENT = 15;

export class RawSocketConnection extends WireConnection {
  /** The longest message the router accepts, from its handshake answer. */
  routerMaxLength = 0;
  private buffered: Buffer = Buffer.alloc(0);

  private constructor(codec: Codec, private readonly socket: Socket) {
    super(codec);
  }

  static async open(port: number, codec: Codec, host = '127.0.0.1'): Promise<RawSocketConnection> {
    const socket = connect(port, host);
    const connection = new RawSocketConnection(codec, socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        socket.write(Buffer.from([0x7f, (OUR_LENGTH_EXPONENT << 4) | serializerIds[codec.name]!, 0, 0]));
      });
      socket.once('error', reject);
      let handshake = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        handshake = Buffer.concat([handshake, chunk]);
        if (handshake.length < 4) return;
        socket.off('data', onData);
        socket.off('error', reject);
        if (handshake[0] !== 0x7f) return reject(new Error(`not a RawSocket handshake answer: ${handshake.subarray(0, 4).toString('hex')}`));
        const serializer = handshake[1]! & 0x0f;
        if (serializer === 0) return reject(new Error(`the router refused the handshake with error ${handshake[1]! >> 4}`));
        if (serializer !== serializerIds[codec.name]) return reject(new Error(`asked for serializer ${serializerIds[codec.name]}, got ${serializer}`));
        connection.routerMaxLength = 2 ** (9 + (handshake[1]! >> 4));
        connection.attach(handshake.subarray(4));
        resolve();
      };
      socket.on('data', onData);
    });
    return connection;
  }

  send(message: unknown[]): void {
    const encoded = this.codec.encode(message);
    const payload = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : Buffer.from(encoded);
    this.socket.write(Buffer.concat([header(0, payload.length), payload]));
  }

  async drop(): Promise<void> {
    this.socket.destroy();
    await this.closed;
  }

  private attach(rest: Buffer): void {
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    this.socket.on('close', () => this.ended('socket closed'));
    this.socket.on('error', () => {}); // 'close' follows
    if (rest.length > 0) this.read(rest);
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const type = this.buffered[0]! & 0x07;
      const length = this.buffered.readUIntBE(1, 3);
      if (this.buffered.length < 4 + length) return;
      const payload = this.buffered.subarray(4, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      if (type === 1) this.socket.write(Buffer.concat([header(2, payload.length), payload])); // PING -> PONG
      else if (type === 0) this.received(this.codec.decode(this.codec.binary ? payload : payload.toString('utf8')));
    }
  }
}

function header(type: number, length: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes[0] = type;
  bytes.writeUIntBE(length, 1, 3);
  return bytes;
}
