/**
 * One WebSocket of a relay: what it receives is written to its peer (the other side of a
 * `websocket-reverseproxy` connection, or the same WebSocket for the echo server), message by
 * message as it came. Past `maxBufferedBytes` waiting to be written to a side, its peer is no
 * longer read until half of them have gone, so a slow reader slows its writer down instead of
 * growing our memory.
 */

import { WebSocket } from 'ws';
import type { BoundCounter } from '../metrics/registry.js';
import type { KeepaliveState, Pingable } from './ping-wheel.js';

/** What a side counts of the messages written to it. */
export interface RelayCounters {
  messages: BoundCounter;
  bytes: BoundCounter;
  /** Times its peer stopped being read because this side had the limit waiting. */
  pauses: BoundCounter;
}

export class RelaySide implements Pingable {
  keepaliveSince = 0;
  keepaliveState: KeepaliveState = 0;
  /** Reading this side is stopped while its peer's unwritten bytes are over the limit. */
  paused = false;
  closed = false;
  /** The close ws sent after this side broke the protocol or a limit. */
  failure: { code: number; reason: Buffer } | undefined;
  /** Where what this side receives is written: itself until the relay pairs it. */
  peer: RelaySide = this;
  /** The client's address, whose connection slot a client's side holds. */
  slotKey = '';
  /** A write to this side went out: its peer may be read again once half the limit is left. */
  readonly written: () => void;

  constructor(readonly ws: WebSocket, private readonly counters: RelayCounters, private readonly maxBufferedBytes: number) {
    this.written = () => {
      const source = this.peer;
      if (source.paused && this.ws.bufferedAmount <= this.maxBufferedBytes / 2) {
        source.paused = false;
        source.ws.resume();
      }
    };
  }

  /** Sends a message that arrived on the peer, as it came (text or binary, same bytes). */
  write(data: Buffer, isBinary: boolean): void {
    // A side that is closing gets nothing more; its close reaches the peer next.
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(data, { binary: isBinary }, this.written);
    this.counters.messages.inc();
    this.counters.bytes.inc(data.length);
    const source = this.peer;
    if (!source.paused && this.ws.bufferedAmount > this.maxBufferedBytes) {
      source.paused = true;
      source.ws.pause();
      this.counters.pauses.inc();
    }
  }

  ping(): void {
    this.ws.ping();
  }

  unresponsive(): void {
    this.ws.terminate();
  }
}

/** The close ws sends for one of its errors: 1009 for a message over the limit, 1007 for bad UTF-8, 1002 for the rest. */
export function failureClose(error: Error & { code?: string }): { code: number; reason: Buffer } {
  const code = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : error.code === 'WS_ERR_INVALID_UTF8' ? 1007 : 1002;
  return { code, reason: Buffer.from(error.message.slice(0, 120)) };
}
