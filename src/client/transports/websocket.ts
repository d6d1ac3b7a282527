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

/**
 * An opening handshake still unanswered after this long fails, so that connect() can try the
 * next transport: a proxy that swallows upgrades would otherwise hold the client forever.
 */
export const OPEN_TIMEOUT_MS = 10_000;

/** A transport factory over any WHATWG-style WebSocket class. */
export function webSocketTransport(WebSocketClass: WebSocketConstructor, openTimeoutMs = OPEN_TIMEOUT_MS): TransportFactory {
  return (url, protocols, handlers) =>
    new Promise<Transport>((resolve, reject) => {
      // Some web views and workers offer none: say so, and let connect() try the next transport.
      if (!WebSocketClass) throw new TransportError('this environment has no WebSocket');
      // A malformed URL throws here, which rejects the promise with the platform's own error.
      const socket = new WebSocketClass(url, protocols);
      let open = false;
      const timer = setTimeout(() => {
        reject(new TransportError(`cannot connect to ${url}: no answer within ${openTimeoutMs} ms`));
        socket.close();
      }, openTimeoutMs);
      // `ws` hands over its own Buffers as 'nodebuffer'; as 'arraybuffer' it copies every message
      // out of its read buffer to make one. Browsers and undici ignore the value (or take 'blob'),
      // so read it back and fall back to ArrayBuffers there.
      socket.binaryType = 'nodebuffer';
      if (socket.binaryType !== 'nodebuffer') socket.binaryType = 'arraybuffer';
      socket.onopen = () => {
        open = true;
        clearTimeout(timer);
        resolve({
          protocol: socket.protocol,
          send: (frame) => socket.send(frame),
          close: (code, reason) => socket.close(code, reason),
        });
      };
      // A frame is text, a Buffer (`ws`) or an ArrayBuffer (browsers, undici). A Buffer may be a view
      // of `ws`'s read buffer: binary values the codecs decode from it are views too (as on the
      // router's own connections), so a payload kept alive keeps that read buffer alive.
      socket.onmessage = ({ data }) => handlers.message(data instanceof ArrayBuffer ? new Uint8Array(data) : (data as Frame));
      // Browsers hide the cause of a failed connection; `ws` puts it in `message`.
      socket.onerror = (event) => reject(new TransportError(`cannot connect to ${url}: ${(event as { message?: string }).message ?? 'error'}`));
      socket.onclose = (event) => {
        clearTimeout(timer);
        if (open) handlers.close(event.code, event.reason);
        else reject(new TransportError(`cannot connect to ${url}: closed with code ${event.code}`));
      };
    });
}
