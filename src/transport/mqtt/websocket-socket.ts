import { WebSocket } from 'ws';
import type { DrainingSocket } from '../outbound-room.js';
import { onCloseFrame } from '../ws-close-frame.js';
import { socketUnder } from '../ws-frame.js';
import type { MqttSocket } from './connection.js';

/**
 * MQTT over WebSocket: a `ws` connection seen as the byte stream an MqttConnection reads and
 * writes. Binary messages carry MQTT bytes (a packet may span messages, or a message hold
 * several packets: the parser reads a stream); `bufferedAmount` is the slow-consumer measure.
 */
export class WebSocketAsMqttSocket implements MqttSocket {
  constructor(private readonly ws: WebSocket) {}

  get writableLength(): number {
    return this.ws.bufferedAmount;
  }

  /** The TCP socket under ws waits to drain (what ws itself still holds is looked at again shortly, outbound-room.ts). */
  get writableNeedDrain(): boolean {
    return this.tcp?.writableNeedDrain === true;
  }

  once(event: 'drain', listener: () => void): void {
    this.tcp?.once?.(event, listener);
  }

  private get tcp(): DrainingSocket | undefined {
    return socketUnder(this.ws) as DrainingSocket | undefined;
  }

  get destroyed(): boolean {
    return this.ws.readyState !== WebSocket.OPEN;
  }

  write(chunk: Uint8Array): boolean {
    this.ws.send(chunk, { binary: true });
    return true;
  }

  // `ws` writes each message whole; there is nothing to coalesce at this level.
  cork(): void {}
  uncork(): void {}

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  end(): void {
    // Reading may be paused (a CONNECT being signed in, a refused one): the client's closing frame must still be read,
    // else the closing handshake never completes and the connection lingers until destroy().
    this.ws.resume();
    this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }

  on(event: 'data', listener: (chunk: Buffer) => void): this;
  on(event: 'close' | 'end', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: string, listener: (...args: never[]) => void): this {
    if (event === 'data') {
      // Text or binary, the bytes go to the MQTT parser: a text message that is not MQTT fails there, as any garbage does.
      const deliver = listener as (chunk: Buffer) => void;
      this.ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) =>
        deliver(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)));
    } else if (event === 'close' || event === 'error') {
      this.ws.on(event, listener as () => void);
    } else if (event === 'end') {
      // The client's close frame is its end of stream: it said it is leaving, though its TCP connection may linger (ws-close-frame.ts).
      onCloseFrame(this.ws, listener as () => void);
    }
    return this;
  }
}
