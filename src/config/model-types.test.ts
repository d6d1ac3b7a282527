/**
 * The model (model.ts) against the schema's output types (z.output of schema-*.ts), checked by
 * the compiler: this file fails `tsc` (so `npm run build` and `npm test`) when a schema key has no
 * field in the model, when a model field has no key in the schema, or when their types differ.
 *
 * Why a check and not model types derived from the schema: the model is not a copy of the file.
 * It renames (Crossbar's snake_case, `forgive_after` -> `forgiveAfterMs`), converts (long-poll
 * seconds -> ms), flattens (`cluster.redis.prefix` -> `prefix`), resolves (star URIs, relative
 * paths, `${ENV}`) and unifies (websocket and web transports as listeners), and it carries doc
 * comments for the code that reads it. Deriving it would move all of that into type-level
 * mappings that nobody reads; checking it keeps the readable interfaces and still lets neither
 * side drift. Each check names the keys that differ on purpose, so a new one must be named too.
 */

import type { RouterWorkerFile } from './file-schema.js';
import type {
  CallerService,
  EventHistoryConfig,
  JsonService,
  RealmOptions,
  RedirectService,
  StaticService,
  TlsConfig,
  ClusterConfig,
  ForwarderComponentConfig,
  HttpBridgeOptions,
  HttpSignatureOptions,
  LongPollService,
  MqttService,
  ProcessComponentConfig,
  PusherAppConfig,
  PusherServiceConfig,
  RawSocketService,
  RealmLimitsConfig,
  RedisServerConfig,
  RestCalleeComponentConfig,
  SessionStatsConfig,
  SignInLimits,
  SseService,
  StdioComponentConfig,
  WebhookService,
  WebSocketOptions,
  ZeromqComponentConfig,
} from './model.js';
import type { ForwarderExtraFile, ProcessComponentFile, RestCalleeExtraFile, StdioComponentFile, ZeromqComponentFile } from './schema-components.js';
import type { CallerServiceFile, PublisherServiceFile, WebhookServiceFile } from './schema-http-bridge.js';
import type { LongPollServiceFile, SseServiceFile } from './schema-http-transports.js';
import type { MqttTransportFile } from './schema-mqtt.js';
import type { PusherTransportFile } from './schema-pusher.js';
import type { RawSocketSettingsFile } from './schema-rawsocket.js';
import type { RealmFile } from './schema-router.js';
import type { TcpEndpointFile } from './schema-endpoint.js';
import type { LeafPathServiceFile } from './schema-web-services.js';
import type { WebSocketServiceFile } from './schema-websocket.js';
import type { Ignored } from './notices.js';

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/** Plain data with camelCase keys at every depth. */
type Camelized<T> = T extends readonly (infer Item)[]
  ? Camelized<Item>[]
  : T extends Record<string, unknown>
    ? { [K in keyof T as K extends string ? CamelCase<K> : never]: Camelized<T[K]> }
    : T;

/**
 * What the model of a file section must hold: each key of `File` not `Dropped`, under its
 * camelCase name or the name `Renamed` gives it, with its type camelized.
 */
type Mirror<File, Renamed extends { [K in keyof File]?: string } = {}, Dropped extends keyof File = never> = {
  // `K in keyof File` (homomorphic) keeps each key's optionality. Keys accepted and ignored
  // (`ignored(...)`, reported as notices) or refused (`unsupported(...)`) have nothing in the model.
  [K in keyof File as K extends Dropped ? never : NonNullable<File[K]> extends Ignored ? never : K extends keyof Renamed ? Renamed[K] & string : K extends string ? CamelCase<K> : never]: Camelized<File[K]>;
};

type Same<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false;

/** One object type from an intersection (Same tells `A & B` from its flattened form). */
type Flat<T> = { [K in keyof T]: T[K] };

/**
 * `Model` holds exactly the mirrored keys, with the same types and optionality, plus `ModelOnly`
 * (fields the loader fills from elsewhere). The result is `true`, or names what differs.
 */
type Mirrors<Model, Expected, ModelOnly extends keyof Model = never> =
  Same<Flat<Omit<Model, ModelOnly>>, Flat<Expected>> extends true
    ? true
    : {
        onlyInModel: Exclude<keyof Model, keyof Expected | ModelOnly>;
        onlyInSchema: Exclude<keyof Expected, keyof Model>;
        differentTypes: { [K in keyof Expected & keyof Model]: Same<Model[K], Expected[K]> extends true ? never : K }[keyof Expected & keyof Model];
      };

/** Compiles only when its type argument is `true`. */
type Check<T extends true> = T;

type Options<T> = NonNullable<T extends { options?: infer O } ? O : never>;

// Realm limits: a plain camelCase copy.
export type RealmLimits = Check<Mirrors<RealmLimitsConfig, Mirror<NonNullable<RealmFile['options']>['limits']>>>;

// sign_in: milliseconds get an Ms suffix in the model.
type SignInFile = RouterWorkerFile['sign_in'];
export type SignIn = Check<Mirrors<SignInLimits, Mirror<SignInFile, {
  forgive_after: 'forgiveAfterMs'; spacing: 'spacingMs'; max_wait: 'maxWaitMs'; challenge_timeout: 'challengeTimeoutMs'; dynamic_timeout: 'dynamicTimeoutMs';
}>>>;

// cluster: redis.prefix, redis.max_pending_bytes and redis.command_timeout (with Ms) are lifted beside the Redis server; heartbeat and lease get Ms.
type ClusterFile = NonNullable<RouterWorkerFile['cluster']>;
export type RedisServer = Check<Mirrors<RedisServerConfig, Mirror<ClusterFile['redis'], {}, 'prefix' | 'max_pending_bytes' | 'command_timeout'>>>;
export type Cluster = Check<Mirrors<ClusterConfig, Mirror<ClusterFile, { heartbeat: 'heartbeatMs'; lease: 'leaseMs' }, 'redis'> & {
  redis: RedisServerConfig;
  prefix: ClusterFile['redis']['prefix'];
  maxPendingBytes: ClusterFile['redis']['max_pending_bytes'];
  commandTimeoutMs: ClusterFile['redis']['command_timeout'];
}>>;


/** Keys whose file form the loader turns into another model form (checked by the loader's own types and tests). */
type Converted = 'auth' | 'serializers';

// WebSocket options: compression's object form (permessage-deflate tuning) becomes on/off.
export type WebSocket = Check<Mirrors<WebSocketOptions, Mirror<WebSocketServiceFile['options'], {}, 'compression'>, 'compression'>>;

// RawSocket: max_message_size may also be given beside options; the model has one, always set.
export type RawSocket = Check<Mirrors<RawSocketService, Mirror<RawSocketSettingsFile['options'], {}, 'max_message_size'>, Converted | 'maxMessageSize'>>;

// Long-poll: Crossbar's seconds become milliseconds.
export type LongPoll = Check<Mirrors<LongPollService, Mirror<Options<LongPollServiceFile>, { request_timeout: 'requestTimeoutMs'; session_timeout: 'sessionTimeoutMs' }>, Converted | 'type'>>;

export type Sse = Check<Mirrors<SseService, Mirror<Options<SseServiceFile>, { heartbeat_interval: 'heartbeatMs'; resume_wait: 'resumeWaitMs' }>, 'auth' | 'type' | 'realm'>>;

// The HTTP bridge: a signed service's key, secret and limits are gathered in `signature`.
type SignatureKeys = 'key' | 'secret' | 'timestamp_delta_limit' | 'replay_memory';
export type BridgeOptions = Check<Mirrors<HttpBridgeOptions, Mirror<Options<PublisherServiceFile>, {}, SignatureKeys>, 'signature'>>;
// `signature` exists when the file gives a key and a secret (the schema requires both or neither).
type SignatureFile = Required<Pick<Options<PublisherServiceFile>, 'key' | 'secret'>> & Pick<Options<PublisherServiceFile>, 'timestamp_delta_limit' | 'replay_memory'>;
export type Signature = Check<Mirrors<HttpSignatureOptions, Mirror<SignatureFile, { timestamp_delta_limit: 'timestampDeltaLimitSeconds' }>>>;
export type Caller = Check<Mirrors<CallerService, Mirror<CallerServiceFile, {}, 'options' | 'id'>, 'options' | 'maxTimeoutMs'>>;
export type CallerTimeout = Check<Mirrors<Pick<CallerService, 'maxTimeoutMs'>, Mirror<Pick<Options<CallerServiceFile>, 'max_timeout'>, { max_timeout: 'maxTimeoutMs' }>>>;
// A webhook's own options sit beside the bridge options in the model.
type WebhookOwnKeys = 'topic' | 'success_response' | 'error_response' | 'github_secret';
export type Webhook = Check<Mirrors<Pick<WebhookService, 'topic' | 'successResponse' | 'errorResponse' | 'githubSecret'>, Mirror<Pick<Options<WebhookServiceFile>, WebhookOwnKeys>>>>;
export type WebhookOptions = Check<Mirrors<WebhookService['options'], Mirror<Omit<Options<WebhookServiceFile>, WebhookOwnKeys>>>>;

// Components: `kind` names what the loader recognised; ids are generated when absent; cwd is resolved; a stdio component's
// secrets, inherit and authenticatorFunction come from a function authenticator and its router (normalize-function-auth.ts).
type ComponentBase = 'kind' | 'id' | 'realm' | 'role';
export type Forwarder = Check<Mirrors<ForwarderComponentConfig, Mirror<ForwarderExtraFile, { expectedcode: 'expectedCode'; timeout: 'timeoutMs' }, 'retry' | 'subscriptions' | 'method'>, ComponentBase | 'retry' | 'subscriptions' | 'method'>>;
export type ForwarderRetry = Check<Mirrors<ForwarderComponentConfig['retry'], Mirror<ForwarderExtraFile['retry'], { initial_delay: 'initialDelayMs'; max_delay: 'maxDelayMs' }>>>;
export type RestCallee = Check<Mirrors<RestCalleeComponentConfig, Mirror<RestCalleeExtraFile, { baseurl: 'baseUrl'; timeout: 'timeoutMs'; error_on_4xx: 'errorOn4xx'; error_on_5xx: 'errorOn5xx' }, 'authenticator'>, ComponentBase | 'authenticator'>>;
export type Process = Check<Mirrors<ProcessComponentConfig, Mirror<ProcessComponentFile, { timeout: 'timeoutMs' }, 'type' | 'id' | 'cwd' | 'realm' | 'role'>, ComponentBase | 'cwd'>>;
export type Zeromq = Check<Mirrors<ZeromqComponentConfig, Mirror<ZeromqComponentFile, {}, 'type' | 'id' | 'realm' | 'role' | 'bind' | 'connect' | 'subscribe'>, ComponentBase | 'endpoint' | 'subscribe'>>;
export type Stdio = Check<Mirrors<StdioComponentConfig, Mirror<StdioComponentFile, {}, 'type' | 'id' | 'cwd' | 'realm' | 'role' | 'restart'>, ComponentBase | 'cwd' | 'restart' | 'secrets' | 'inherit' | 'authenticatorFunction'>>;
export type StdioRestart = Check<Mirrors<StdioComponentConfig['restart'], Mirror<StdioComponentFile['restart'], { initial_delay: 'initialDelayMs'; max_delay: 'maxDelayMs' }>>>;

// MQTT: `role` becomes the anonymous sign-in's role in `auth`; payload_mapping gains the default for "".
export type Mqtt = Check<Mirrors<MqttService, Mirror<Options<MqttTransportFile>, {}, 'role' | 'auth' | 'payload_mapping'>, 'auth' | 'payloadMapping'>>;

// Pusher: trusted_proxies applies to the whole listener (ListenerConfig.trustedProxies).
export type Pusher = Check<Mirrors<PusherServiceConfig, Mirror<Options<PusherTransportFile>, { activity_timeout: 'activityTimeoutS'; pong_timeout: 'pongTimeoutMs' }, 'trusted_proxies'>, 'apps'>>;
export type PusherApp = Check<Mirrors<PusherAppConfig, Mirror<PusherTransportFile['apps'][number]>>>;

// Realm options and store: limits are checked above; the store's history entries resolve Crossbar's star URIs.
type RealmOptionsFile = NonNullable<RealmFile['options']>;
// `stats` sits beside `options` in the file; its duration is given in seconds and kept in ms.
export type Realm = Check<Mirrors<RealmOptions, Mirror<RealmOptionsFile, {}, 'limits'>, 'limits' | 'stats'>>;
export type Stats = Check<Mirrors<SessionStatsConfig, Mirror<NonNullable<RealmFile['stats']>, {
  trigger_after_rated_messages: 'afterRatedMessages'; trigger_after_duration: 'afterDurationMs'; trigger_on_join: 'onJoin'; trigger_on_leave: 'onLeave';
}>>>;
type StoreFile = NonNullable<RealmFile['store']>;
// An entry's own limit and limit_bytes fall back to the store's.
export type Store = Check<Mirrors<EventHistoryConfig, Mirror<Pick<StoreFile, 'limit' | 'limit_bytes'>>, 'uri' | 'match'>>;

// Static, JSON and redirect services: Crossbar's options block is flattened into the service.
type LeafService<T extends string> = Extract<LeafPathServiceFile, { type: T }>;
// cache_timeout: Crossbar's null (no caching headers) becomes 0.
export type Static = Check<Mirrors<StaticService, Mirror<Options<LeafService<'static'>>, { enable_directory_listing: 'directoryListing' }, 'cache_timeout'>, 'type' | 'directory' | 'cacheTimeoutSeconds'>>;
export type Json = Check<Mirrors<JsonService, Mirror<Options<LeafService<'json'>>>, 'type' | 'value'>>;
// A path service's `id` is accepted (Crossbar's management API names services by it) with a notice: it names nothing in Junction.
export type Redirect = Check<Mirrors<RedirectService, Mirror<LeafService<'redirect'>, {}, 'id'>>>;

// TLS: file paths are resolved against the config folder and read at start; whether the handshake
// requires a client certificate follows from the transport's doors (no auth.tls: it does).
export type Tls = Check<Mirrors<TlsConfig, Mirror<NonNullable<TcpEndpointFile['tls']>, { chain_certificates: 'chainCertificates' }>, 'clientCertificateAtHandshake'>>;
