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
import { encodeFrame, FrameParser, FrameType, MAX_FRAME_PAYLOAD } from '../../transport/rawsocket/framing.js';
import { HANDSHAKE_LENGTH, MAGIC, MAX_LENGTH_EXPONENT, parseRouterReply, SerializerId } from '../../transport/rawsocket/handshake.js';
import { tlsUniqueChannelId } from '../../transport/client-certificate.js';
import { tlsConnectOptions } from '../tls-connect.js';

/**
 * Opens the link's connections to its endpoint, one at a time, and remembers the last: its TLS
 * channel (for cryptosign's channel binding) and why its certificate was refused, if it was.
 */
class EndpointSockets {
  #last: Socket | undefined;
  readonly #tls: ConnectionOptions | undefined;

  /** Reads the endpoint's TLS files (a missing one throws, at start); `where` names the link in that error. */
  constructor(readonly endpoint: LinkEndpoint, where: string) {
    this.#tls = endpoint.kind === 'tcp' && endpoint.tls ? tlsConnectOptions(endpoint.tls, `${where}: transport.endpoint.tls`) : undefined;
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

function websocketTo(sockets: EndpointSockets): TransportFactory {
  const { timeoutMs } = sockets.endpoint;
  // `ws` with its connection made to the endpoint: the URL is only the request's Host and path.
  class EndpointWebSocket extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols, { createConnection: () => sockets.open(), handshakeTimeout: timeoutMs });
    }
  }
  return webSocketTransport(EndpointWebSocket as unknown as WebSocketConstructor, timeoutMs);
}

/** Subprotocol names the client offers, by RawSocket serializer id. */
const subprotocols: Record<number, string> = { [SerializerId.json]: 'wamp.2.json', [SerializerId.msgpack]: 'wamp.2.msgpack', [SerializerId.cbor]: 'wamp.2.cbor' };

function rawsocketTo(sockets: EndpointSockets, serializer: keyof typeof SerializerId): TransportFactory {
  const { endpoint } = sockets;
  const where = describeEndpoint(endpoint);
  const text = serializer === 'json';
  return (_url, _protocols, handlers) =>
    new Promise<Transport>((resolve, reject) => {
      const socket = sockets.open();
      let open = false;
      const fail = (reason: string): void => {
        reject(new TransportError(`cannot connect to ${where}: ${reason}`));
        socket.destroy();
      };
      const timer = setTimeout(() => fail(`no answer within ${endpoint.timeoutMs} ms`), endpoint.timeoutMs);
      let reply = Buffer.alloc(0);
      const parser = new FrameParser(MAX_FRAME_PAYLOAD, (type, payload) => {
        if (type === FrameType.ping) socket.write(encodeFrame(FrameType.pong, payload));
        else if (type === FrameType.message) handlers.message(text ? payload.toString('utf8') : new Uint8Array(payload));
      });
      socket.on(sockets.readyEvent, () => socket.write(Buffer.from([MAGIC, (MAX_LENGTH_EXPONENT << 4) | SerializerId[serializer], 0, 0])));
      socket.on('data', (chunk: Buffer) => {
        if (open) {
          const error = parser.push(chunk);
          if (error) socket.destroy(new Error(error.message));
          return;
        }
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
        if (rest.length > 0) parser.push(rest);
      });
      socket.on('error', (error) => {
        if (!open) fail(error.message);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (open) handlers.close(1006, 'connection closed');
        else fail('closed before the handshake reply');
      });
    });
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

/** How a link dials; reads the endpoint's TLS files now (a missing one throws). `where` names the link in errors. */
export function linkDialer(transport: LinkTransport, where: string): LinkDialer {
  const sockets = new EndpointSockets(transport.endpoint, where);
  const connection = { channelId: () => sockets.channelId(), certificateRefusal: () => sockets.certificateRefusal() };
  if (transport.kind === 'websocket') return { factory: websocketTo(sockets), url: transport.url, ...connection };
  return { factory: rawsocketTo(sockets, transport.serializer), url: `${sockets.secure ? 'rss' : 'rs'}://${describeEndpoint(transport.endpoint)}`, ...connection };
}
