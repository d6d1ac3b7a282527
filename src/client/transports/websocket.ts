import { TransportError } from '../errors.js';
import type { Frame, Transport, TransportFactory } from '../transport.js';

/** The part of the WHATWG WebSocket API the client uses; `ws` implements it too. */
export interface WebSocketLike {
  readonly protocol: string;
  binaryType: string;
  send(data: string | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string, protocols: string[]) => WebSocketLike;

function toFrame(data: unknown): Frame {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TransportError('received a WebSocket message that is neither text nor binary');
}

/** A transport factory over any WHATWG-style WebSocket class. */
export function webSocketTransport(WebSocketClass: WebSocketConstructor): TransportFactory {
  return (url, protocols, handlers) =>
    new Promise<Transport>((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        socket = new WebSocketClass(url, protocols);
      } catch (error) {
        reject(new TransportError(`cannot open ${url}: ${(error as Error).message}`));
        return;
      }
      let open = false;
      socket.binaryType = 'arraybuffer';
      socket.onopen = () => {
        open = true;
        resolve({
          protocol: socket.protocol,
          send: (frame) => socket.send(frame),
          close: (code, reason) => socket.close(code, reason),
        });
      };
      socket.onmessage = (event) => handlers.message(toFrame(event.data));
      // Browsers hide the cause of a failed connection; `ws` puts it in `message`.
      socket.onerror = (event) => {
        if (!open) reject(new TransportError(`cannot connect to ${url}${describeError(event)}`));
      };
      socket.onclose = (event) => {
        if (!open) reject(new TransportError(`cannot connect to ${url} (WebSocket closed with code ${event.code})`));
        else handlers.close(event.code, event.reason);
      };
    });
}

function describeError(event: unknown): string {
  const message = (event as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message ? `: ${message}` : '';
}
