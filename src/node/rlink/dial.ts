/**
 * How a router link reaches the other router: a client transport (the seam the client library
 * dials through) that connects to the link's endpoint, over WebSocket (the URL gives the Host
 * header and path, as Crossbar's connecting transports) or RawSocket, each over TLS when the
 * endpoint has `tls`.
 */

import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket, type ConnectionOptions } from 'node:tls';
import { WebSocket } from 'ws';
import { TransportError } from '../../client/errors.js';
import type { Transport, TransportFactory } from '../../client/transport.js';
import { webSocketTransport, type WebSocketConstructor } from '../../client/transports/websocket.js';
import type { LinkEndpoint, LinkTransport } from '../../config/model.js';
import { encodeFrame, FrameParser, FrameType } from '../../transport/rawsocket/framing.js';
import { exponentFor, HANDSHAKE_LENGTH, MAGIC, parseRouterReply, SerializerId } from '../../transport/rawsocket/handshake.js';
import { tlsUniqueChannelId } from '../../transport/client-certificate.js';
import { corkForThisTurn } from '../../transport/write-coalescing.js';
import { tlsConnectOptions } from '../tls-connect.js';

/** What the link's last connection holds for the other router and has not sent yet, and how to end that connection at once. */
interface SendQueue {
  bytes(): number;
  drop(): void;
}

/**
 * Opens the link's connections to its endpoint, one at a time, and remembers the last: its TLS
 * channel (for cryptosign's channel binding) and why its certificate was refused, if it was.
 */
class EndpointSockets {
  #last: Socket | undefined;
  readonly #tls: ConnectionOptions | undefined;

  /** Checks and reads the endpoint's TLS files (tls-connect.ts); `where` names the link in their errors. */
  constructor(readonly endpoint: LinkEndpoint, where: string) {
    this.#tls = endpoint.kind === 'tcp' && endpoint.tls ? tlsConnectOptions(endpoint.tls, where, 'transport.endpoint') : undefined;
  }

  get secure(): boolean {
    return this.#tls !== undefined;
  }

  /** The socket's event that says it is ready for WAMP (TLS: once the certificate is verified). */
  get readyEvent(): 'connect' | 'secureConnect' {
    return this.secure ? 'secureConnect' : 'connect';
  }

  /** A socket to the endpoint (connecting; errors are the caller's to handle). */
  open(): Socket {
    const { endpoint } = this;
    if (endpoint.kind === 'unix') return (this.#last = connect({ path: endpoint.path }));
    const address = { host: endpoint.host, port: endpoint.port, ...(endpoint.family && { family: endpoint.family }) };
    return (this.#last = this.#tls ? tlsConnect({ ...address, ...this.#tls }) : connect(address));
  }

  /** The socket of the last connection (one at a time). */
  current(): Socket | undefined {
    return this.#last;
  }

  /** The last connection's bytes not yet taken by the kernel (RawSocket writes straight to the socket). */
  readonly queue: SendQueue = { bytes: () => this.#last?.writableLength ?? 0, drop: () => this.#last?.destroy() };

  /** The tls-unique channel ID of the last connection (hex); undefined without TLS. */
  channelId(): string | undefined {
    return this.#last && tlsUniqueChannelId(this.#last, 'client');
  }

  /** Why the other router's certificate did not verify on the last connection (Node's reason), or undefined. */
  certificateRefusal(): string | undefined {
    return this.#last instanceof TLSSocket && this.#last.authorizationError ? String(this.#last.authorizationError) : undefined;
  }
}

export function describeEndpoint(endpoint: LinkEndpoint): string {
  return endpoint.kind === 'unix' ? `unix:${endpoint.path}` : `${endpoint.host}:${endpoint.port}`;
}

/** Code and reason a link's connection ends with when the other router sent a message over the link's bound. */
const tooLarge = (maxMessageSize: number) => ({ code: 1009, reason: `the other router sent a message larger than ${maxMessageSize} bytes (limits.max_message_size)` });

function websocketTo(sockets: EndpointSockets, maxMessageSize: number): { factory: TransportFactory; queue: SendQueue } {
  const { timeoutMs } = sockets.endpoint;
  // Whether the connection last opened got a message over the bound (a link has one connection at a time).
  let oversize = false;
  let latest: WebSocket | undefined;
  // `ws` with its connection made to the endpoint: the URL is only the request's Host and path.
  class EndpointWebSocket extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols, { createConnection: () => sockets.open(), handshakeTimeout: timeoutMs, maxPayload: maxMessageSize });
      oversize = false;
      latest = this;
      // ws closes such a connection (1009 to the other router) but tells only its error why, and closes here with 1006.
      this.on('error', (error: Error & { code?: string }) => (oversize ||= error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'));
    }
  }
  const open = webSocketTransport(EndpointWebSocket as unknown as WebSocketConstructor, timeoutMs);
  const factory: TransportFactory = (url, protocols, handlers) => open(url, protocols, {
    ...handlers,
    close: (code, reason) => {
      const end = oversize ? tooLarge(maxMessageSize) : { code, reason };
      handlers.close(end.code, end.reason);
    },
  });
  // `ws` counts what waits in its own queue (while it compresses) besides the socket's.
  return { factory, queue: { bytes: () => latest?.bufferedAmount ?? 0, drop: () => latest?.terminate() } };
}

/** Subprotocol names the client offers, by RawSocket serializer id. */
const subprotocols: Record<number, string> = { [SerializerId.json]: 'wamp.2.json', [SerializerId.msgpack]: 'wamp.2.msgpack', [SerializerId.cbor]: 'wamp.2.cbor' };

function rawsocketTo(sockets: EndpointSockets, serializer: keyof typeof SerializerId, maxMessageSize: number): TransportFactory {
  const { endpoint } = sockets;
  const where = describeEndpoint(endpoint);
  const text = serializer === 'json';
  return (_url, _protocols, handlers) =>
    new Promise<Transport>((resolve, reject) => {
      const socket = sockets.open();
      let open = false;
      let oversize = false;
      const fail = (reason: string): void => {
        reject(new TransportError(`cannot connect to ${where}: ${reason}`));
        socket.destroy();
      };
      const timer = setTimeout(() => fail(`no answer within ${endpoint.timeoutMs} ms`), endpoint.timeoutMs);
      let reply = Buffer.alloc(0);
      const parser = new FrameParser(maxMessageSize, (type, payload) => {
        if (type === FrameType.ping) socket.write(encodeFrame(FrameType.pong, payload));
        else if (type === FrameType.message) handlers.message(text ? payload.toString('utf8') : new Uint8Array(payload));
      });
      // The handshake asks the other router for messages up to the bound; one that sends a longer one anyway is left.
      socket.on(sockets.readyEvent, () => socket.write(Buffer.from([MAGIC, (exponentFor(maxMessageSize) << 4) | SerializerId[serializer], 0, 0])));
      const read = (chunk: Buffer): void => {
        const error = parser.push(chunk);
        if (error === undefined) return;
        oversize = error.kind === 'too-long';
        socket.destroy(new Error(error.message));
      };
      socket.on('data', (chunk: Buffer) => {
        if (open) return read(chunk);
        reply = Buffer.concat([reply, chunk]);
        if (reply.length < HANDSHAKE_LENGTH) return;
        clearTimeout(timer);
        const answer = parseRouterReply(reply);
        if (!answer.ok) return fail(`RawSocket handshake refused: ${answer.reason}`);
        open = true;
        resolve({
          protocol: subprotocols[SerializerId[serializer]]!,
          send: (frame) => socket.write(encodeFrame(FrameType.message, typeof frame === 'string' ? Buffer.from(frame) : frame)),
          close: () => socket.end(),
        });
        const rest = reply.subarray(HANDSHAKE_LENGTH);
        // Frames that came with the reply (a bad one too).
        if (rest.length > 0) read(rest);
      });
      socket.on('error', (error) => {
        if (!open) fail(error.message);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (open) {
          const end = oversize ? tooLarge(maxMessageSize) : { code: 1006, reason: 'connection closed' };
          handlers.close(end.code, end.reason);
        }
        else fail('closed before the handshake reply');
      });
    });
}

/** Code and reason a link's connection ends with when the other router does not read what the link sends it. */
const notReading = (maxBufferedBytes: number) => ({
  code: 1008,
  reason: `the other router does not read what the link sends: more than ${maxBufferedBytes} bytes waiting to be sent to it (limits.max_buffered_bytes)`,
});

/**
 * `factory` with what a connection sends in one event-loop turn leaving in one write (as the
 * router's own connections do, transport/write-coalescing.ts): the link answers the other router's
 * calls, and publishes there, in bursts, each message a system call of its own otherwise.
 */
function coalescedSends(factory: TransportFactory, sockets: EndpointSockets): TransportFactory {
  return async (url, protocols, handlers) => {
    const transport = await factory(url, protocols, handlers);
    const socket = sockets.current();
    return {
      protocol: transport.protocol,
      send: (frame) => {
        if (socket) corkForThisTurn(socket);
        transport.send(frame);
      },
      close: (code, reason) => transport.close(code, reason),
    };
  };
}

/**
 * `factory` with its connections bounded in what they hold for the other router (as the router's
 * own connections are for a slow consumer): a send that leaves more than `maxBufferedBytes`
 * waiting ends the connection at once, and the link connects again after its backoff. Results,
 * progressive results and errors the link answers the other router's calls with are not
 * acknowledged: without this, a peer that sends invocations and reads nothing would make the
 * link hold their answers without bound.
 */
function boundedSends(factory: TransportFactory, queue: SendQueue, maxBufferedBytes: number): TransportFactory {
  if (maxBufferedBytes <= 0) return factory;
  return async (url, protocols, handlers) => {
    let overflowed = false;
    const transport = await factory(url, protocols, {
      ...handlers,
      close: (code, reason) => {
        const end = overflowed ? notReading(maxBufferedBytes) : { code, reason };
        handlers.close(end.code, end.reason);
      },
    });
    return {
      protocol: transport.protocol,
      send: (frame) => {
        if (overflowed) return;
        transport.send(frame);
        if (queue.bytes() <= maxBufferedBytes) return;
        overflowed = true;
        queue.drop();
      },
      close: (code, reason) => transport.close(code, reason),
    };
  };
}

export interface LinkDialer {
  /** The client transport of the link. */
  factory: TransportFactory;
  /** The URL it dials (what logs show). */
  url: string;
  /** The tls-unique channel ID of the connection last opened (hex), for cryptosign's channel binding; undefined without TLS. */
  channelId(): string | undefined;
  /** Why the other router's certificate did not verify on the last attempt, or undefined. */
  certificateRefusal(): string | undefined;
}

/** What a link's connection is bounded by (0 = no limit): see linkDialer. */
export interface ConnectionBounds {
  maxMessageSize: number;
  maxBufferedBytes: number;
}

/**
 * How a link dials; reads the endpoint's TLS files now (a missing one throws). A message from the
 * other router over `maxMessageSize` bytes closes the connection (code 1009), and so does more than
 * `maxBufferedBytes` waiting to be sent to it (1008). `where` names the link in errors.
 */
export function linkDialer(transport: LinkTransport, { maxMessageSize, maxBufferedBytes }: ConnectionBounds, where: string): LinkDialer {
  const sockets = new EndpointSockets(transport.endpoint, where);
  const connection = { channelId: () => sockets.channelId(), certificateRefusal: () => sockets.certificateRefusal() };
  if (transport.kind === 'websocket') {
    const { factory, queue } = websocketTo(sockets, maxMessageSize);
    return { factory: boundedSends(coalescedSends(factory, sockets), queue, maxBufferedBytes), url: transport.url, ...connection };
  }
  const factory = boundedSends(coalescedSends(rawsocketTo(sockets, transport.serializer, maxMessageSize), sockets), sockets.queue, maxBufferedBytes);
  return { factory, url: `${sockets.secure ? 'rss' : 'rs'}://${describeEndpoint(transport.endpoint)}`, ...connection };
}
