import type { Duplex } from 'node:stream';
import type { Codec } from '../../codec/codec.js';
import { boundLogger, type Logger } from '../../router/log.js';
import type { Peer, SessionLink } from '../../router/peer.js';
import { withTlsDetails } from '../client-certificate.js';
import { decodeMessage } from '../decode-message.js';
import { FrameParser, FrameType, type FrameError } from './framing.js';
import {
  acceptReply, errorReply, HANDSHAKE_LENGTH, HandshakeError, handshakeErrorName, lengthOfExponent, parseClientHandshake,
  type HandshakeErrorCode,
} from './handshake.js';
import { Keepalive } from './keepalive.js';
import { RawSocketPeer, type RawSocketPeerCounters } from './rawsocket-peer.js';

/** A refused client, or one that ended its side, gets this long to read what waits for it before its socket is destroyed. */
const END_GRACE_MS = 1_000;

/** Turns a connection that completed its handshake into a session; the WAMP opening must finish within helloTimeoutMs (0 = no limit). */
export type AttachRawSocketPeer = (peer: Peer, helloTimeoutMs: number) => SessionLink;

export interface RawSocketCounters extends RawSocketPeerCounters {
  /** Handshakes refused or failed, by reason. */
  refused: { inc(labels: { reason: string }): void };
  /** Connections failed for a frame longer than the router announced. */
  oversized: { inc(): void };
  /** Connections failed for a malformed frame header, by kind. */
  protocolErrors: { inc(labels: { kind: string }): void };
  deadPeers: { inc(): void };
}

export interface ConnectionSettings {
  /** Served serializers by RawSocket id. */
  codecs: ReadonlyMap<number, Codec>;
  /** The exponent this router announces: the longest frame it accepts is 2^(9+n). */
  lengthExponent: number;
  /** Clients announcing a shorter receive limit than this are refused (error 2). */
  minClientLength: number;
  openHandshakeTimeout: number;
  autoPingInterval: number;
  autoPingTimeout: number;
  maxBufferedBytes: number;
  maxNestingDepth: number | undefined;
  attach: AttachRawSocketPeer;
  counters: RawSocketCounters;
  log: Logger;
}

/**
 * One RawSocket connection from its first octet to its close: the 4-octet handshake (with the
 * spec's error replies), then frames, PING/PONG and keepalive, with the session behind a
 * RawSocketPeer. `refuseWith` set: the handshake is read only to answer that error (counted
 * under its `reason`, which tells the two causes of error 4 apart).
 */
export class RawSocketConnection {
  private state: 'handshake' | 'open' | 'closed' = 'handshake';
  private handshakeBytes = Buffer.alloc(0);
  private readonly startedAt = Date.now();
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private endTimer: ReturnType<typeof setTimeout> | undefined;
  private peer: RawSocketPeer | undefined;
  private link: SessionLink | undefined;
  private parser: FrameParser | undefined;
  private keepalive: Keepalive | undefined;
  private codec: Codec | undefined;
  private readonly log: Logger;

  constructor(
    private readonly socket: Duplex,
    readonly label: string,
    private readonly settings: ConnectionSettings,
    private readonly onClosed: (connection: RawSocketConnection) => void,
    private readonly refuseWith?: { code: HandshakeErrorCode; reason: string },
  ) {
    this.log = boundLogger(settings.log, { peer: label });
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (error: Error & { code?: string }) => this.log.debug({ code: error.code, err: error.message }, 'RawSocket connection error'));
    socket.on('close', () => this.closed());
    // RawSocket has no half-close: a client that ended its side is gone, its session with it at
    // once, its connection soon after, even while our last bytes wait for it. (A socket from an HTTP
    // server, on a universal port, is half-open and would otherwise stay open forever.)
    socket.on('end', () => {
      this.link?.detach();
      this.socket.end();
      this.endTimer ??= setTimeout(() => this.socket.destroy(), END_GRACE_MS);
      this.endTimer.unref?.();
    });
    const timeout = settings.openHandshakeTimeout;
    if (timeout > 0) {
      this.handshakeTimer = setTimeout(() => this.handshakeTimedOut(), timeout);
      this.handshakeTimer.unref?.();
    }
  }

  /** The router is stopping (sessions were told GOODBYE): end the connection, destroy it soon after. */
  shutdown(): void {
    if (this.state === 'closed') return;
    if (this.peer) this.peer.close();
    else this.socket.destroy();
  }

  /** Destroys the socket now. */
  destroy(): void {
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    if (this.state === 'open') {
      this.keepalive?.heard();
      this.feed(chunk);
      return;
    }
    if (this.state !== 'handshake') return;
    const needed = HANDSHAKE_LENGTH - this.handshakeBytes.length;
    this.handshakeBytes = Buffer.concat([this.handshakeBytes, chunk.subarray(0, needed)]);
    if (this.handshakeBytes.length < HANDSHAKE_LENGTH) return;
    this.handshake(this.handshakeBytes, chunk.subarray(needed));
  }

  private handshake(bytes: Buffer, rest: Buffer): void {
    this.clearHandshakeTimer();
    const parsed = parseClientHandshake(bytes);
    if (!parsed.ok) {
      if (parsed.reply === undefined) {
        this.settings.counters.refused.inc({ reason: 'magic' });
        this.log.debug({ reason: parsed.reason }, 'not a RawSocket handshake; connection failed');
        this.state = 'closed';
        this.socket.destroy();
        return;
      }
      return this.refuse(parsed.reply, parsed.reason);
    }
    if (this.refuseWith !== undefined) return this.refuse(this.refuseWith.code, this.refuseWith.reason, this.refuseWith.reason);
    const { serializerId, maxReceiveLength } = parsed.handshake;
    const codec = this.settings.codecs.get(serializerId);
    if (!codec) {
      const served = [...this.settings.codecs.entries()].map(([id, served]) => `${id} (${served.name})`).join(', ');
      return this.refuse(HandshakeError.serializerUnsupported, `serializer ${serializerId} is not served here (served: ${served})`);
    }
    if (maxReceiveLength < this.settings.minClientLength) {
      return this.refuse(HandshakeError.maxLengthUnacceptable,
        `the client receives at most ${maxReceiveLength} octets; this router needs at least ${this.settings.minClientLength}`);
    }
    this.socket.write(acceptReply(this.settings.lengthExponent, serializerId));
    this.open(codec, maxReceiveLength);
    if (rest.length > 0 && this.state === 'open') this.feed(rest);
  }

  private open(codec: Codec, clientMaxLength: number): void {
    this.state = 'open';
    this.codec = codec;
    const { settings } = this;
    const ourMaxLength = lengthOfExponent(settings.lengthExponent);
    const peer = new RawSocketPeer(this.socket, codec, {
      type: 'rawsocket', serializer: codec.name, peer: this.label,
      extra: withTlsDetails({ max_message_size_received: ourMaxLength, max_message_size_sent: clientMaxLength }, this.socket),
    }, {
      clientMaxLength,
      maxBufferedBytes: settings.maxBufferedBytes,
      log: this.log,
      counters: settings.counters,
      // Made up by the router itself, so not held to the client's queue limits.
      onBehalfOfClient: (wire) => this.link?.receive(wire, 0),
    });
    this.peer = peer;
    const timeout = settings.openHandshakeTimeout;
    const helloTimeoutMs = timeout > 0 ? Math.max(1, timeout - (Date.now() - this.startedAt)) : 0;
    this.link = settings.attach(peer, helloTimeoutMs);
    this.parser = new FrameParser(ourMaxLength, (type, payload) => this.frame(type, payload));
    this.keepalive = new Keepalive({
      intervalMs: settings.autoPingInterval,
      timeoutMs: settings.autoPingTimeout,
      ping: (payload) => peer.sendControl(FrameType.ping, payload),
      dead: () => {
        settings.counters.deadPeers.inc();
        this.log.warn({ timeoutMs: settings.autoPingTimeout }, 'no PONG within auto_ping_timeout; dropping the RawSocket connection');
        this.socket.destroy();
      },
    });
  }

  private feed(chunk: Buffer): void {
    const error = this.parser!.push(chunk);
    if (error) this.failFraming(error);
  }

  private frame(type: FrameType, payload: Buffer): void {
    if (this.state !== 'open') return;
    switch (type) {
      case FrameType.message: {
        const decoded = decodeMessage(this.codec!, payload, this.settings.maxNestingDepth);
        if (decoded.ok) this.link!.receive(decoded.message, payload.length);
        else this.link!.receiveGarbage(decoded.reason);
        return;
      }
      case FrameType.ping:
        this.peer!.sendControl(FrameType.pong, payload);
        return;
      case FrameType.pong:
        this.keepalive!.pong(payload);
        return;
    }
  }

  /** A bad frame header: the session is aborted with the reason and the connection closed. */
  private failFraming(error: FrameError): void {
    if (error.kind === 'too-long') {
      this.settings.counters.oversized.inc();
      this.log.warn({ lengthBytes: error.length, limitBytes: lengthOfExponent(this.settings.lengthExponent) },
        'RawSocket frame longer than this router accepts; connection closed');
    } else {
      this.settings.counters.protocolErrors.inc({ kind: error.kind });
      this.log.warn({ kind: error.kind, reason: error.message }, 'malformed RawSocket frame; connection closed');
    }
    this.link!.receiveGarbage(error.message);
    this.peer!.close();
  }

  private refuse(code: HandshakeErrorCode, reason: string, counted = refusalReasons[code]): void {
    this.state = 'closed';
    this.settings.counters.refused.inc({ reason: counted });
    this.log.info({ code, error: handshakeErrorName(code), reason }, 'RawSocket handshake refused');
    this.socket.end(errorReply(code));
    this.endTimer = setTimeout(() => this.socket.destroy(), END_GRACE_MS);
    this.endTimer.unref?.();
  }

  private handshakeTimedOut(): void {
    this.handshakeTimer = undefined;
    if (this.state !== 'handshake') return;
    this.state = 'closed';
    this.settings.counters.refused.inc({ reason: 'timeout' });
    this.log.debug({ timeoutMs: this.settings.openHandshakeTimeout }, 'RawSocket handshake not received in time; connection dropped');
    this.socket.destroy();
  }

  private closed(): void {
    this.state = 'closed';
    this.clearHandshakeTimer();
    if (this.endTimer) clearTimeout(this.endTimer);
    this.keepalive?.stop();
    this.parser?.stop();
    this.peer?.closed();
    this.link?.detach();
    this.onClosed(this);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}

const refusalReasons: Record<HandshakeErrorCode, string> = {
  1: 'serializer',
  2: 'max_length',
  3: 'reserved_bits',
  4: 'max_connections',
};
