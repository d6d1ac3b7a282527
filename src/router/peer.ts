import type { Envelope } from '../protocol/envelope.js';
import type { Dict } from '../protocol/messages.js';

/** What a session knows of the connection under it; also reported by the session meta API. */
export interface TransportInfo {
  /** "websocket", "rawsocket", "longpoll", "local"... */
  type: string;
  /** The serializer in use ("json", "msgpack", "cbor"), or "none" for in-process peers. */
  serializer: string;
  /** The remote address as "tcp4:127.0.0.1:51234", or a label for in-process peers. */
  peer: string;
  /** Extra facts the transport wants visible (HTTP headers it chose to expose, path...). */
  extra?: Record<string, unknown>;
}

/**
 * The seam between the router and a transport. The router hands over envelopes; the transport
 * asks each for bytes in its own codec, so the router never imports a codec.
 */
export interface Peer {
  readonly transport: TransportInfo;
  /**
   * Bytes of framing in front of each frame this peer encodes (RawSocket's 4-byte header): session
   * statistics count the serialized message only, as received messages are counted. Default 0.
   */
  readonly frameHeaderBytes?: number;
  /** Queues a message. A transport that cannot keep up applies its slow-consumer policy. */
  send(envelope: Envelope): void;
  /** Closes the connection once what was already sent has been flushed (after ABORT or GOODBYE). */
  close(): void;
  /**
   * Stops reading from the connection (backpressure) until resumeReading: the session's incoming
   * queue is full. What the transport already read may still arrive (at most one read's worth).
   * A transport that cannot stop reading (long-poll) leaves both out: its session is then aborted.
   */
  pauseReading?(): void;
  resumeReading?(): void;
  /**
   * Outbound backpressure, for bursts the router makes itself (retained events on SUBSCRIBE,
   * broker/retained-replay.ts): whether the transport can take another message well within its
   * slow-consumer limit (less than half of it queued). A transport that leaves both out takes
   * every message at once and lets its own limit decide.
   */
  hasRoom?(): boolean;
  /** Calls `resume` once, after hasRoom was false, when what was queued has drained. */
  whenRoom?(resume: () => void): void;
}

/** Why the router would refuse a publication: its error URI and text. */
export interface PublishRefusal {
  error: string;
  text: string;
}

/** What the transport gets back from `Router.attach`: where to push what it receives. */
export interface SessionLink {
  /**
   * A decoded message (not yet validated) and its size as received (the frame's length in bytes;
   * 0 for in-process peers, which are not held to the queue limits).
   */
  receive(decoded: unknown, bytes: number): void;
  /** The bytes could not be decoded with the negotiated codec: the session is aborted. */
  receiveGarbage(reason: string): void;
  /** The connection is gone (closed, dropped, timed out): the session is cleaned up. */
  detach(): void;
}

/** The router's own links (what `Router.attach` returns) answer questions about the session too. */
export interface DoorSessionLink extends SessionLink {
  /**
   * Why the joined session may not publish to `topic` now (its URI, or the realm's authorizer), or
   * undefined when it may; nothing is published. For publications a door makes later on the
   * client's behalf (an MQTT will), so that they are refused when the client asks, not lost later.
   */
  publishRefusal(topic: string, options: Dict): Promise<PublishRefusal | undefined>;
}

/** How a transport attaches its peer to the router (Router.attach). */
export interface AttachOptions {
  /** Overrides the router's HELLO limit for this transport (its open_handshake_timeout). */
  helloTimeoutMs?: number;
  /** The router's own sessions (meta API, bridges) may use "wamp." URIs. Never for network peers. */
  trusted?: boolean;
  /**
   * The connection may carry a new session after GOODBYE (WebSocket, RawSocket): the transport
   * stays open for a new HELLO instead of being closed. Not for transports whose lifetime is one
   * session (long-poll) or in-process peers that treat the close as the session's end.
   */
  sessionSeries?: boolean;
  /**
   * Not held to the realm's per-session limits: a bridge session acting for many HTTP clients at
   * once (the HTTP bridge limits those itself). Trusted sessions are always exempt.
   */
  exemptFromLimits?: boolean;
}
