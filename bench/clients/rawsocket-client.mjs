import { connect } from 'node:net';
import { codecNamed } from '../lib/codecs.mjs';
import { WampSession } from './wamp-session.mjs';

/**
 * A WAMP session (wamp-session.mjs) over RawSocket, written from the WAMP spec's framing:
 *
 *   handshake, both ways: 0x7F, then (length exponent << 4 | serializer), then two zero bytes.
 *     The length exponent n announces 2^(9+n) octets as the longest message this side accepts;
 *     serializers are 1 JSON, 2 MessagePack, 3 CBOR. The router answers with its own exponent and
 *     the same serializer, or with the serializer nibble 0 and an error code in the high nibble.
 *   every frame after it: a 4-byte header, (reserved bits, 5) (frame type, 3: 0 WAMP message,
 *     1 PING, 2 PONG), then the payload length as a 24-bit big-endian number; then the payload.
 *     A PING is answered with a PONG carrying the same payload.
 *
 * Each message leaves in one write (header and payload in one buffer), as ws sends a frame.
 */

const MAGIC = 0x7f;
const SERIALIZER_IDS = { json: 1, msgpack: 2, cbor: 3 };
const HANDSHAKE_ERRORS = {
  1: 'serializer unsupported',
  2: 'maximum message length unacceptable',
  3: 'use of reserved bits (unsupported feature)',
  4: 'maximum connection count reached',
};
const OUR_LENGTH_EXPONENT = 15; // 2^24 = 16 MiB: we accept anything the router sends
const HEADER_LENGTH = 4;
const FRAME_MESSAGE = 0;
const FRAME_PING = 1;
const FRAME_PONG = 2;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export function connectWampRawSocket({ host, port, realm = 'realm1', serializer = 'json' }) {
  const codec = codecNamed(serializer);
  const serializerId = SERIALIZER_IDS[codec.name];
  const socket = connect({ host, port, noDelay: true });
  let routerMaxLength = 0; // from the router's handshake: the longest message it takes
  const link = {
    send: (encoded) => {
      const frame = frameOf(FRAME_MESSAGE, encoded);
      if (frame.length - HEADER_LENGTH > routerMaxLength) throw new Error(`message of ${frame.length - HEADER_LENGTH} bytes exceeds the router's ${routerMaxLength}`);
      socket.write(frame);
    },
    close: () => socket.end(),
    drop: () => socket.destroy(),
    isOpen: () => !socket.destroyed && socket.writable && routerMaxLength > 0,
  };
  const session = new WampSession(link, codec);

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no RawSocket handshake answer from ${host}:${port} within ${HANDSHAKE_TIMEOUT_MS} ms`));
    }, HANDSHAKE_TIMEOUT_MS);
    socket.once('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      session.linkClosed('socket closed');
      reject(new Error('connection closed during the RawSocket handshake'));
    });
    socket.once('connect', () => socket.write(Buffer.from([MAGIC, (OUR_LENGTH_EXPONENT << 4) | serializerId, 0, 0])));

    let buffered = Buffer.alloc(0);
    let handshakeDone = false;
    socket.on('data', (chunk) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      let offset = 0;
      if (!handshakeDone) {
        if (buffered.length < HEADER_LENGTH) return;
        clearTimeout(timer);
        const failure = handshakeFailure(buffered, serializerId);
        if (failure) {
          socket.destroy();
          return reject(new Error(failure));
        }
        handshakeDone = true;
        routerMaxLength = 2 ** (9 + (buffered[1] >> 4));
        offset = HEADER_LENGTH;
        session.join(realm).then(
          () => {
            socket.removeListener('error', reject);
            socket.on('error', () => {});
            resolve(session);
          },
          reject,
        );
      }
      // Every complete frame in the buffer; the rest waits for more bytes.
      while (buffered.length - offset >= HEADER_LENGTH) {
        const type = buffered[offset] & 0x07;
        const length = buffered.readUIntBE(offset + 1, 3);
        const end = offset + HEADER_LENGTH + length;
        if (end > buffered.length) break;
        const payload = buffered.subarray(offset + HEADER_LENGTH, end);
        offset = end;
        if (type === FRAME_MESSAGE) session.receive(codec.decode(payload));
        else if (type === FRAME_PING) socket.write(frameOf(FRAME_PONG, payload));
        else if (type !== FRAME_PONG) {
          socket.destroy();
          return;
        }
      }
      buffered = offset === buffered.length ? Buffer.alloc(0) : buffered.subarray(offset);
    });
  });
}

/** Why the router's 4 handshake bytes refuse us, or null when they accept our serializer. */
function handshakeFailure(reply, serializerId) {
  if (reply[0] !== MAGIC) return `not a RawSocket router: the first byte is 0x${reply[0].toString(16)}`;
  const serializer = reply[1] & 0x0f;
  if (serializer === 0) return `RawSocket handshake refused: ${HANDSHAKE_ERRORS[reply[1] >> 4] ?? `error ${reply[1] >> 4}`}`;
  if (serializer !== serializerId) return `the router answered serializer ${serializer}, we asked for ${serializerId}`;
  return null;
}

/** One frame, header and payload in one buffer; a JSON string is written as UTF-8 into it. */
function frameOf(type, payload) {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const frame = Buffer.allocUnsafe(HEADER_LENGTH + length);
  frame[0] = type;
  frame.writeUIntBE(length, 1, 3);
  if (typeof payload === 'string') frame.write(payload, HEADER_LENGTH, 'utf8');
  else frame.set(payload, HEADER_LENGTH);
  return frame;
}
