/**
 * How a router link reaches the other router: a client transport (the seam the client library
 * dials through) that connects to the link's endpoint, over WebSocket (the URL gives the Host
 * header and path, as Crossbar's connecting transports) or RawSocket.
 */

import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { TransportError } from '../../client/errors.js';
import type { Transport, TransportFactory } from '../../client/transport.js';
import { webSocketTransport, type WebSocketConstructor } from '../../client/transports/websocket.js';
import type { LinkEndpoint, LinkTransport } from '../../config/model.js';
import { encodeFrame, FrameParser, FrameType, MAX_FRAME_PAYLOAD } from '../../transport/rawsocket/framing.js';
import { HANDSHAKE_LENGTH, MAGIC, MAX_LENGTH_EXPONENT, parseRouterReply, SerializerId } from '../../transport/rawsocket/handshake.js';

/** A socket to the endpoint (connecting; errors are the caller's to handle). */
function openSocket(endpoint: LinkEndpoint): Socket {
  return endpoint.kind === 'unix'
    ? connect({ path: endpoint.path })
    : connect({ host: endpoint.host, port: endpoint.port, ...(endpoint.family && { family: endpoint.family }) });
}

export function describeEndpoint(endpoint: LinkEndpoint): string {
  return endpoint.kind === 'unix' ? `unix:${endpoint.path}` : `${endpoint.host}:${endpoint.port}`;
}

function websocketTo(endpoint: LinkEndpoint): TransportFactory {
  // `ws` with its connection made to the endpoint: the URL is only the request's Host and path.
  class EndpointWebSocket extends WebSocket {
    constructor(url: string, protocols: string[]) {
      super(url, protocols, { createConnection: () => openSocket(endpoint), handshakeTimeout: endpoint.timeoutMs });
    }
  }
  return webSocketTransport(EndpointWebSocket as unknown as WebSocketConstructor, endpoint.timeoutMs);
}

/** Subprotocol names the client offers, by RawSocket serializer id. */
const subprotocols: Record<number, string> = { [SerializerId.json]: 'wamp.2.json', [SerializerId.msgpack]: 'wamp.2.msgpack', [SerializerId.cbor]: 'wamp.2.cbor' };

function rawsocketTo(endpoint: LinkEndpoint, serializer: keyof typeof SerializerId): TransportFactory {
  const where = describeEndpoint(endpoint);
  const text = serializer === 'json';
  return (_url, _protocols, handlers) =>
    new Promise<Transport>((resolve, reject) => {
      const socket = openSocket(endpoint);
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
      socket.on('connect', () => socket.write(Buffer.from([MAGIC, (MAX_LENGTH_EXPONENT << 4) | SerializerId[serializer], 0, 0])));
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

/** The client transport of a link, and the URL it dials (what logs show). */
export function linkDialer(transport: LinkTransport): { factory: TransportFactory; url: string } {
  if (transport.kind === 'websocket') return { factory: websocketTo(transport.endpoint), url: transport.url };
  return { factory: rawsocketTo(transport.endpoint, transport.serializer), url: `rs://${describeEndpoint(transport.endpoint)}` };
}
