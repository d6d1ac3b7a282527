/**
 * The client's public vocabulary. Payload generics are plain type parameters with loose
 * defaults: an app that types nothing gets `unknown[]` / `Record<string, unknown>`, an app that
 * wants checking writes `session.call<[number, number], {}, [number]>('com.add', [2, 3])`.
 */
import type { MqttProperties } from '../protocol/mqtt-properties.js';
import type { MatchPolicy } from '../protocol/uri.js';
import type { Args, Kwargs } from './payload.js';
import type { Result } from './result.js';

export type { Args, Kwargs };

/** What an EVENT carries besides its payload. */
export interface EventDetails extends Record<string, unknown> {
  /** The concrete topic, for pattern-based subscriptions (and in every event, for convenience). */
  topic: string;
  publication: number;
  /** The publisher's session id, when it disclosed itself. */
  publisher?: number;
  publisher_authid?: string;
  publisher_authrole?: string;
}

export interface Event<A extends Args = Args, K extends Kwargs = Kwargs> {
  args: A;
  kwargs: K;
  details: EventDetails;
}

/** AutobahnJS handler order: (args, kwargs, details). */
export type EventHandler<A extends Args = Args, K extends Kwargs = Kwargs> = (
  args: A,
  kwargs: K,
  details: EventDetails,
) => void;

export interface PublishOptions {
  /** Ask the router for a PUBLISHED: the returned promise then carries the publication id. */
  acknowledge?: boolean;
  exclude_me?: boolean;
  exclude?: number[];
  exclude_authid?: string[];
  exclude_authrole?: string[];
  eligible?: number[];
  eligible_authid?: string[];
  eligible_authrole?: string[];
  disclose_me?: boolean;
  retain?: boolean;
  /** Junction: the publication's MQTT QoS and MQTT 5 properties, for MQTT subscribers (docs/mqtt.md). */
  _mqtt?: MqttProperties;
  /** Router links: who the publication is forwarded for (Junction names the original publisher for links of role "rlink" only). */
  forward_for?: ForwardHop[];
}

/** WAMP's forward_for entry: a session a router link forwards a publication or call for. */
export interface ForwardHop {
  session: number;
  authid: string;
  authrole: string;
}

export interface SubscribeOptions {
  match?: MatchPolicy;
  get_retained?: boolean;
}

export type InvokePolicy = 'single' | 'roundrobin' | 'random' | 'first' | 'last';

export interface RegisterOptions {
  match?: MatchPolicy;
  invoke?: InvokePolicy;
}

export type CancelMode = 'skip' | 'kill' | 'killnowait';

export interface CallOptions<P extends Args = Args, PK extends Kwargs = Kwargs> {
  /** Milliseconds. Sent to the router as the call timeout and enforced here as well. */
  timeout?: number;
  /** Aborting sends CANCEL with `cancelMode` and rejects the call with the signal's reason. */
  signal?: AbortSignal;
  cancelMode?: CancelMode;
  /** Receives progressive results; setting it asks the callee for them. */
  onProgress?: (result: Result<P, PK>) => void;
  disclose_me?: boolean;
  /** Router links: who the call is forwarded for (Junction names the original caller for links of role "rlink" only). */
  forward_for?: ForwardHop[];
}

/** What an endpoint learns about one invocation. */
export interface InvocationDetails {
  /** The procedure the caller called (differs from the registered URI for pattern registrations). */
  procedure: string;
  caller?: number;
  caller_authid?: string;
  caller_authrole?: string;
  /** Whether the caller asked for progressive results. */
  receive_progress: boolean;
  /** Fires when the router interrupts the invocation (the caller canceled, or it timed out). */
  signal: AbortSignal;
  /** Sends one progressive result; does nothing when the caller did not ask for them. */
  progress(args?: Args, kwargs?: Kwargs): void;
  /** Everything the router put in INVOCATION.Details. */
  raw: Record<string, unknown>;
}

/**
 * An endpoint may return a plain value (sent as `[value]`), a `Result`, nothing, a Promise of
 * any of those, or an async generator: each `yield` is a progressive result, its return value
 * the final one.
 */
export type EndpointReturn = unknown;

export type Endpoint<A extends Args = Args, K extends Kwargs = Kwargs> = (
  args: A,
  kwargs: K,
  details: InvocationDetails,
) => EndpointReturn;

/** Reconnection with exponential backoff and jitter. Delays are in milliseconds. */
export interface ReconnectOptions {
  initialDelay?: number;
  maxDelay?: number;
  growth?: number;
  /** Consecutive failed attempts before giving up; Infinity never gives up. */
  maxRetries?: number;
  /** Each delay is spread by up to this fraction either way, so clients do not return in step. */
  jitter?: number;
}

export interface RestoreFailure {
  kind: 'subscription' | 'registration';
  uri: string;
  error: Error;
}

/** The kinds of transport `connect({ transports })` can try (AutobahnJS's names). */
export type TransportType = 'websocket' | 'longpoll';

/**
 * One entry of `connect({ transports })`, tried in order. A websocket URL is ws:// or wss://;
 * a long-poll URL is the http:// or https:// base URL of the router's long-poll path.
 */
export type TransportOptions =
  | { type: 'websocket'; url: string }
  | {
      type: 'longpoll';
      url: string;
      /**
       * Milliseconds any one HTTP request may take (default 30 000); past it the transport is
       * given up. Must exceed the router's request_timeout, for which a receive is held.
       */
      requestTimeout?: number;
    };

/** What the connection is doing, as `session.status()` reports it. */
export type Status =
  | { type: 'connecting'; url: string; attempt: number; transport: TransportType }
  | { type: 'open'; session: number; attempt: number; transport: TransportType; url: string }
  | { type: 'closed'; reason: string; message?: string; willRetry: boolean }
  | { type: 'retrying'; delay: number; attempt: number }
  | { type: 'restored'; subscriptions: number; registrations: number; failures: RestoreFailure[] };

export type SessionState = 'open' | 'reconnecting' | 'closed';
