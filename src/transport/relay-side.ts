/**
 * One WebSocket of a relay: what it receives is written to its peer (the other side of a
 * `websocket-reverseproxy` connection, or the same WebSocket for the echo server), message by
 * message as it came. Past `maxBufferedBytes` waiting to be written to a side, its peer is no
 * longer read until half of them have gone, so a slow reader slows its writer down instead of
 * growing our memory.
 */

import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { BoundCounter } from '../metrics/registry.js';
import { plural } from '../protocol/plural.js';
import type { SlotRefusal } from './connection-slots.js';
import type { KeepaliveState, Pingable } from './ping-wheel.js';

/** The clients' side of a relaying WebSocket server: the reverse proxy's, the echo server's. */
export interface RelayServerOptions {
  /** Largest message accepted from a client, bytes. */
  maxMessageSize: number;
  autoPingInterval: number;
  autoPingTimeout: number;
  allowedOrigins: readonly string[];
  allowNullOrigin: boolean;
  compression: boolean;
  /** Bytes waiting to be written to one side before its peer is no longer read. */
  maxBufferedBytes: number;
  /** Connections at once (0: no limit). */
  maxConnections: number;
  /** Connections one client address may hold (0: no limit). */
  maxPerAddress: number;
  /** The client's address and label when a trusted proxy may stand in between; default: the TCP peer. */
  clientAddress?: (request: IncomingMessage) => { address: string; label: string; secure?: boolean };
  /** Labels of every metric of this server (its transport, its path). */
  labels: Record<string, string>;
}

/** Why an upgrade was refused at a connection cap: the `reason` label of the server's refusal counter. */
export type CapRefusal = 'too_many_connections' | 'too_many_from_address';

/**
 * How an upgrade refused at a cap is answered (max_connections: 503, max_per_address: 429) and
 * warned about; `server` names the server in the warning ("WebSocket reverse proxy").
 */
export function capRefusal(full: SlotRefusal, options: Pick<RelayServerOptions, 'maxConnections' | 'maxPerAddress'>, server: string) {
  if (full === 'service_full') {
    return {
      reason: 'too_many_connections' as CapRefusal, status: 503, limit: options.maxConnections,
      message: `This endpoint holds ${plural(options.maxConnections, 'connection')} already (max_connections); try again later.`,
      warning: `${server}: upgrade refused, it holds max_connections connections (further refusals are counted, not logged, for 10 s)`,
    };
  }
  return {
    reason: 'too_many_from_address' as CapRefusal, status: 429, limit: options.maxPerAddress,
    message: `Your address already holds ${plural(options.maxPerAddress, 'WebSocket connection')} on this endpoint (max_per_address); close one first.`,
    warning: `${server}: upgrade refused, the address holds max_per_address connections (further refusals for this address are counted, not logged, for 10 s)`,
  };
}

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
