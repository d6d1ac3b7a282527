/**
 * The normalized configuration that the rest of Junction consumes.
 *
 * The loader reads a Crossbar.io-format file (snake_case keys, workers -> router -> realms /
 * transports) and produces this model: camelCase, every default filled in, star-convention
 * URIs resolved to (uri, match), standalone websocket transports and web transports unified as
 * listeners. Nothing here needs re-validation; every field has the type and range stated.
 *
 * Every key's default is the schema's (schema-*.ts; `junction schema` prints them): the comments
 * here say what a field means, never its default, so that each default is written once.
 * model-types.test.ts holds these interfaces against the schema's output types at compile time
 * (it says why they are checked rather than derived), and schema-defaults.test.ts the values the
 * loader fills in against the published defaults.
 */

import type { ScramKdf } from '../protocol/scram.js';
import type { MatchPolicy } from '../protocol/uri.js';
import type { RedirectStatus } from './schema-web-services.js';
import type { NodeShutdownTrigger } from './schema-controller.js';

export type { MatchPolicy, NodeShutdownTrigger };

export interface JunctionConfig {
  /** Non-empty; names are unique. */
  realms: RealmConfig[];
  /** Non-empty unless a router worker runs Python components (its clients then); ids are unique; no two listen on the same (port, interface) unless port is 0. */
  listeners: ListenerConfig[];
  /** Components named in the file: bridge components are run; Python ones are recorded here (and run: `guests`, `routerPython`). */
  components: ComponentConfig[];
  /** Guest workers: programs started once the router listens, stopped with it. */
  guests: GuestConfig[];
  /** When a guest or container worker that exits stops the node (`controller.options.shutdown`); no duplicates. */
  shutdownTriggers: NodeShutdownTrigger[];
  /** Router workers' Python components (`class`, `function`): one process per router worker that has any, joined through the node's private entry. */
  routerPython: RouterPythonConfig[];
  /** One line per accepted-but-unused setting (Crossbar runtime options, Python components...). */
  notices: string[];
  /** Sign-in rate limits and authentication timeouts (the router worker's `sign_in`, a Junction extension). */
  signIn: SignInLimits;
  /** The router worker's `cluster` (a Junction extension): nodes meeting through Redis. */
  cluster?: ClusterConfig;
  /**
   * Incoming messages (every transport, HTTP bridge bodies) may nest lists and dicts at most this
   * deep (the router worker's `max_nesting_depth`, a Junction extension).
   */
  maxNestingDepth: number;
  /** Realms' router-to-router links (`rlinks`), every realm's in file order. */
  rlinks: RouterLinkConfig[];
}

/** Where a router link connects: TCP (TLS when `tls` is set) or a Unix socket. */
export type LinkEndpoint = { kind: 'tcp'; host: string; port: number; family?: 4 | 6; tls?: ConnectingTls; timeoutMs: number } | { kind: 'unix'; path: string; timeoutMs: number };

/** How a router link reaches the other router. */
export type LinkTransport =
  | { kind: 'websocket'; endpoint: LinkEndpoint; url: string; serializers: ('json' | 'msgpack' | 'cbor')[] }
  | { kind: 'rawsocket'; endpoint: LinkEndpoint; serializer: 'json' | 'msgpack' | 'cbor' };

export type LinkAuth =
  | { method: 'cryptosign' }
  | { method: 'ticket'; authid: string; ticket: string }
  | { method: 'wampcra'; authid: string; secret: string }
  | { method: 'scram'; authid: string; password: string };

/** A realm's router-to-router link (Crossbar's RLinkConfig); docs/configuration.md "Router links". */
export interface RouterLinkConfig {
  /** The file's id, or Crossbar's rlinkNNN by place in the realm's list. */
  id: string;
  /** The realm of this router the link serves. */
  localRealm: string;
  /** The realm it joins on the other router. */
  realm: string;
  transport: LinkTransport;
  /** authid asked for on the other router; none: the other router picks (from the public key). */
  authid?: string;
  /** How the link signs in: cryptosign with the node key (Crossbar's way), or a Junction extension's method. */
  auth: LinkAuth;
  excludeAuthid: string[];
  forwardLocalEvents: boolean;
  forwardRemoteEvents: boolean;
  forwardLocalInvocations: boolean;
  forwardRemoteInvocations: boolean;
  /** 0 = no limit. */
  limits: {
    maxCallsInFlight: number; maxCallBytesInFlight: number; maxEventsInFlight: number; maxEventBytesInFlight: number;
    maxSubscriptions: number; maxRegistrations: number; maxMessageSize: number; maxBufferedBytes: number;
  };
  /** The node key file (Crossbar's key.priv in the config folder), read or made at start when a link signs in with cryptosign. */
  nodeKeyFile: string;
}

/** A guest worker (Crossbar's `"type": "guest"`), its paths resolved against the config folder. */
export interface GuestConfig {
  /** The file's `id`, or Crossbar's default `worker<NNN>` (workers without an id numbered in file order). */
  id: string;
  /** Where it is in the file ("workers[2]"), for the messages that name its keys. */
  at: string;
  /** As written; resolved to a file when it starts (Crossbar's order: against workdir, then the PATH). */
  executable: string;
  arguments: string[];
  /** Absolute. */
  workdir: string;
  env: { inherit: boolean | string[]; vars: Record<string, string> };
  /** open: stdin stays open and nothing is written (Crossbar's default). */
  stdin: { kind: 'open' } | { kind: 'close' } | { kind: 'json'; text: string; close: boolean };
  stdout: GuestOutputMode;
  stderr: GuestOutputMode;
  /** Absolute folders; a change stops the guest, and with `restart` starts it again after `delayMs`. */
  watch?: { directories: string[]; restart: boolean; delayMs: number };
  /** Output lines longer than this are not logged (counted). */
  maxLineBytes: number;
  /** Output lines logged per second (and in one burst); more are dropped (counted). */
  linesPerSecond: number;
  /** A container worker's Python components: the program is Junction's launcher, run by this interpreter. */
  python?: PythonContainerConfig;
}

/** What the launcher of a container worker runs (python/junction_container.py). */
export interface PythonContainerConfig {
  /** The container's `options.python`; absent, `executable` is /usr/bin/python3, else python3 on the PATH. */
  interpreterGiven: boolean;
  /** Absolute folders, put first on sys.path. */
  pythonpath: string[];
  components: PythonComponentRun[];
  /** A router worker's components (messages then name the router worker's options.python). */
  router?: true;
}

/** A Python component's session: a class (an ApplicationSession subclass) or Crossbar's callback functions ("join": "module.function"...). */
export type PythonSession = { type: 'class'; classname: string } | { type: 'function'; callbacks: Record<string, string> };

/** One component as the launcher runs it. */
export type PythonComponentRun = PythonSession & {
  id: string;
  realm: string;
  extra: Record<string, unknown>;
  /** A container's connecting transport (Crossbar's keys); a router component's private entry. */
  transport: Record<string, unknown>;
  /** A router component's private sign-in (WAMP-Ticket): handed to the launcher on stdin only, never logged. */
  signIn?: { authid: string; ticket: string };
};

/**
 * A router worker's Python components, run as Crossbar runs them inside the router: each joins its
 * realm with its role (default "anonymous") and a random authid, through a Unix socket only the
 * node's user can reach, signing in with a ticket made for it (src/node/workers/router-python.ts).
 */
export interface RouterPythonConfig {
  /** The router worker's process as a guest (its id names it in logs and metrics); its `python` is filled in at start. */
  guest: Omit<GuestConfig, 'python'>;
  interpreterGiven: boolean;
  pythonpath: string[];
  components: RouterPythonComponent[];
}

export type RouterPythonComponent = PythonSession & { id: string; realm: string; role: string; extra: Record<string, unknown> };

export type GuestOutputMode = 'log' | 'drop' | 'close';

export interface ClusterConfig {
  /** Where the nodes meet. */
  redis: RedisServerConfig;
  /** Prefix of every key and channel. */
  prefix: string;
  /** Bytes sent to Redis and not yet acknowledged, at most; past it publications to other nodes are dropped (and counted). */
  maxPendingBytes: number;
  /** How long one Redis command may go unanswered before the node gives up waiting on it (cluster.redis.command_timeout). */
  commandTimeoutMs: number;
  /** Undefined: generated at each start. */
  nodeId?: string;
  heartbeatMs: number;
  leaseMs: number;
}

/**
 * One Redis server (`url`), or Redis Sentinel (`sentinels` and `name`): exactly one of the two, and
 * `name`/`sentinelPassword` only with sentinels (the schema checks). Every connection a node makes
 * to Redis is made from this (node/cluster/redis-connection.ts).
 */
export interface RedisServerConfig {
  url?: string;
  sentinels?: { host: string; port: number }[];
  /** The name the sentinels monitor the primary under. */
  name?: string;
  /** The sentinels' own password. */
  sentinelPassword?: string;
  /** For the Redis servers (with `url`, instead of in the URL). */
  username?: string;
  password?: string;
}

export interface SignInLimits {
  /** Failed sign-ins one IP address may have before it is slowed down. */
  failureBudget: number;
  /** One failure is forgiven every this many ms. */
  forgiveAfterMs: number;
  /** Over budget, attempts are spaced this many ms × (failures over budget + 1). */
  spacingMs: number;
  /** An attempt that would wait longer than this is refused at once. */
  maxWaitMs: number;
  /** A CHALLENGE not answered within this time fails. */
  challengeTimeoutMs: number;
  /** A dynamic authenticator or authorizer that does not answer in time denies. */
  dynamicTimeoutMs: number;
}

export const uriChecks = ['strict', 'loose'] as const;
export type UriCheck = (typeof uriChecks)[number];
/** A realm read from a file checks URIs loosely unless it says strict, as Crossbar's RouterFactory does. */
export const defaultUriCheck: UriCheck = 'loose';

export interface RealmConfig {
  name: string;
  /** Role names are unique within the realm. A realm may have no roles (then nobody may act). */
  roles: RoleConfig[];
  options: RealmOptions;
  store: RealmStore;
}

export interface RealmOptions {
  /** Serve the wamp.session.* / wamp.subscription.* / wamp.registration.* meta API. */
  enableMetaApi: boolean;
  /** URI validation rule for messages in this realm (see defaultUriCheck). */
  uriCheck: UriCheck;
  /**
   * What one session may hold or do and what the realm retains (`options.limits`, a Junction
   * extension; defaults in schema-router.ts). The router's own trusted sessions are exempt.
   * Every number: 0 = no limit.
   */
  limits: RealmLimitsConfig;
  /** Session statistics (a realm's `stats`), when configured. */
  stats?: SessionStatsConfig;
}

/** A realm's `stats` block (router/stats/session-meter.ts counts and reports). */
export interface SessionStatsConfig {
  ratedMessageSize: number;
  /** 0 = no report after a number of rated messages. */
  afterRatedMessages: number;
  /** `trigger_after_duration` in milliseconds; 0 = no periodic report. */
  afterDurationMs: number;
  onJoin: boolean;
  onLeave: boolean;
}

export interface RealmLimitsConfig {
  /** Subscriptions one session may hold, exact and pattern alike. */
  maxSubscriptionsPerSession: number;
  /** Registrations one session may hold, shared ones included. */
  maxRegistrationsPerSession: number;
  /** CALLs one session made that have no final RESULT or ERROR yet. */
  maxCallsInFlightPerSession: number;
  /** A token bucket per session: PUBLISH refills at `perSecond` up to `burst` (>= 1 when perSecond > 0). */
  publishRate: { perSecond: number; burst: number };
  /** Received messages waiting behind an unfinished step (authentication, a dynamic authorizer); past it, reading pauses. */
  maxQueuedMessagesPerSession: number;
  /** Their bytes as received. */
  maxQueuedBytesPerSession: number;
  /** Live events (payload bytes, estimated) held behind a session's retained events while they are paced; past it all go to the transport. */
  maxHeldLiveBytesPerSession: number;
  /** Retained events waiting for one session while they are paced (all its replays); past it all go to the transport. */
  maxWaitingRetainedPerSession: number;
  /** A publication with retain larger than this (payload bytes, estimated) is refused whole. */
  maxRetainedEventBytes: number;
  /** Bytes of all retained events of the realm. */
  maxRetainedBytes: number;
  /** Topics with a retained event. */
  maxRetainedTopics: number;
}

export interface RealmStore {
  /** Topics whose events are kept for wamp.subscription.get_events. */
  eventHistory: EventHistoryConfig[];
  /** Procedures whose calls wait while every callee is at its `concurrency` limit. */
  callQueue: CallQueueConfig[];
  /** A "cfxdb" store: the history is also kept in this file, across restarts. */
  file?: HistoryFileConfig;
}

/** A realm's event history file (Crossbar FX's "cfxdb" store; the defaults are in schema-router.ts). */
export interface HistoryFileConfig {
  /** Junction's lmdb folder (absolute): `<path>.lmdb` beside Crossbar's database. */
  path: string;
  /** Bytes the stored events (as encoded) may take; past it new events are not written. */
  maxBytes: number;
  /** Read at start, never written. */
  readonly: boolean;
  /** Each write flushed to disk before the next. */
  sync: boolean;
  /** Milliseconds between writes of the buffered events. */
  bufferFlushMs: number;
  /** Changes (events kept and let go) waiting for the next write at most; past it new ones are not written. */
  maxBuffer: number;
}

export interface CallQueueConfig {
  uri: string;
  match: MatchPolicy;
  /** Calls that may wait at once (positive; the store's `limit`, when not given per entry). */
  limit: number;
  /** Bytes (estimated) the waiting calls may take together (the store's `limit_bytes`, when not given per entry). */
  limitBytes: number;
}

export interface EventHistoryConfig {
  uri: string;
  match: MatchPolicy;
  /** Events kept (positive; the store's `limit`, when not given per topic). */
  limit: number;
  /** Bytes (estimated) the kept events may take together (the store's `limit_bytes`, when not given per topic). */
  limitBytes: number;
}

/**
 * A role authorizes either statically (`permissions`) or through a WAMP procedure (`authorizer`),
 * never both. Check `role.permissions !== undefined` to tell them apart.
 */
export type RoleConfig = StaticRoleConfig | DynamicRoleConfig;

export interface StaticRoleConfig {
  name: string;
  /** When several match a URI, the longest matching pattern wins (Crossbar's rule). */
  permissions: PermissionConfig[];
  authorizer?: undefined;
}

export interface DynamicRoleConfig {
  name: string;
  permissions?: undefined;
  /** URI of the procedure called as (session, uri, action, options) -> bool | {allow, disclose, cache}. */
  authorizer: string;
}

export interface PermissionConfig {
  /**
   * Already converted from Crossbar's star convention when the file gave no `match`:
   * "com.a" = exact, "com.a.*" = prefix "com.a.", "*" = prefix "" (everything),
   * "com.*.b" = wildcard "com..b" (a star stands for one whole component).
   */
  uri: string;
  match: MatchPolicy;
  allow: { call: boolean; register: boolean; publish: boolean; subscribe: boolean };
  disclose: { caller: boolean; publisher: boolean };
  /** The authorization answer may be cached per (role, action, uri). */
  cache: boolean;
}

/**
 * One listening socket. `websocket` and `web` transports are HTTP(S) servers with a path table;
 * a `rawsocket` transport speaks only RawSocket; a `universal` transport (Crossbar's) is a web
 * listener whose connections starting with the RawSocket magic byte 0x7F are RawSocket and, when
 * it has an mqtt part, those starting with 0x10 (an MQTT CONNECT) are MQTT; an `mqtt` transport speaks only MQTT.
 * A `flashpolicy` listener answers Flash's policy request; a `stream-testee` one (Crossbar's
 * `stream.testee`) sends every byte back.
 */
export interface ListenerConfig {
  /** The transport's `id` from the file, or `transport<index>`. */
  id: string;
  kind: 'websocket' | 'web' | 'rawsocket' | 'universal' | 'pusher' | 'mqtt' | 'flashpolicy' | 'stream-testee';
  endpoint: EndpointConfig;
  /**
   * URL path -> service. Keys are normalized to "/" or "/a/b" (no trailing slash); nested `path`
   * services of the file are flattened into this table ("/api" + "publish" -> "/api/publish").
   * A standalone websocket transport has exactly `{"/": service}`; a rawsocket transport has none.
   */
  paths: Record<string, PathService>;
  /** RawSocket settings: always for `rawsocket` listeners; for `universal` ones when they serve RawSocket. */
  rawsocket?: RawSocketService;
  /** Pusher apps and limits: always for `pusher` listeners (which have no path table), never for the others. */
  pusher?: PusherServiceConfig;
  /** MQTT settings: always for `mqtt` listeners; for `universal` ones when they serve MQTT (first octet 0x10). */
  mqtt?: MqttService;
  /** The policy a `flashpolicy` listener (which has no path table) serves; never for the others. */
  flashPolicy?: FlashPolicyConfig;
  /**
   * Proxies whose X-Forwarded-For header is believed (Junction extension `trusted_proxies` on a
   * web/websocket transport's `options`): IPv4/IPv6 addresses or CIDR ranges. Empty: the TCP peer
   * address is the client's address.
   */
  trustedProxies: string[];
  /**
   * Host names (exact, "*.example.com" for every name below, "*" for any) its web paths answer to
   * besides IP literals, "localhost", the machine's name and the names it is configured with
   * (Junction extension `allowed_hosts` beside `trusted_proxies`; node/web/host-check.ts). Absent: none.
   */
  allowedHosts?: string[];
  /**
   * Ms a request body may take after the time its headers had (Junction extension
   * `request_body_timeout` in a web transport's `options`); absent: defaultRequestBodyTimeoutMs.
   */
  requestBodyTimeoutMs?: number;
}

export interface EndpointConfig {
  /** TCP (the default) or a Unix domain socket (rawsocket transports only). */
  type?: 'tcp' | 'unix';
  /** 0..65535; 0 asks the OS for a free port. Unused (0) for a Unix socket. */
  port: number;
  /** Unix socket file path (absolute, resolved against the config folder), for type "unix". */
  path?: string;
  /** Address to bind: from the file, else "0.0.0.0" (IP version 4) or "::" (version 6), as Crossbar. */
  interface: string;
  /** listen() backlog, when the file sets one; otherwise Node's default. */
  backlog?: number;
  tls?: TlsConfig;
}

export interface TlsConfig {
  /** PEM file paths; made absolute against the config file's folder when loaded from a file. */
  key: string;
  certificate: string;
  chainCertificates: string[];
  /** PEM files of the authorities whose client certificates are accepted: clients are then asked for one. */
  caCertificates?: string[];
  /**
   * With caCertificates: no door signs clients in by certificate, so the TLS handshake itself
   * refuses a client without a valid one (Crossbar's behaviour); otherwise the sign-in decides.
   */
  clientCertificateAtHandshake?: boolean;
  /** OpenSSL cipher list, passed to Node's TLS `ciphers`. */
  ciphers?: string;
  /** PEM file with Diffie-Hellman parameters (Node's TLS `dhparam`). */
  dhparam?: string;
}

/** What a URL path of a web transport serves. Crossbar's `path` services are flattened away. */
export type PathService =
  | WebSocketService
  | StaticService
  | JsonService
  | RedirectService
  | NodeInfoService
  | HealthService
  | MetricsService
  | PublisherService
  | CallerService
  | WebhookService
  | LongPollService
  | SseService
  | ConsoleService
  | MqttPathService
  | WebSocketProxyService
  | WebSocketTesteeService
  | ReverseProxyService
  | WsgiService
  | CgiService
  | UploadService
  | ResourceService
  | WapService
  | ArchiveService;

/** Files from a directory. Serves this path and everything below it. */
export interface StaticService {
  type: 'static';
  /** Absolute (resolved against the config folder); or a Python package's resource folder, found at start. */
  directory: string | PackageResource;
  /** File served for a directory request (Crossbar's `options.default_file`). */
  defaultFile: string;
  /** List a directory that has no default file. */
  directoryListing: boolean;
  /** Cache-Control max-age in seconds (Crossbar's `options.cache_timeout`; 0 = no-cache). */
  cacheTimeoutSeconds: number;
  /** Extra extension -> MIME type entries, keys with their leading dot (".wasm"). */
  mimeTypes: Record<string, string>;
}

/** The files of a ZIP archive (Crossbar's `archive`). Serves this path and everything below it. */
export interface ArchiveService {
  type: 'archive';
  /** Absolute (resolved against the config folder). */
  archive: string;
  /** Downloaded from here at start when `archive` does not exist and `download` is set. */
  origin?: string;
  download: boolean;
  /** Lower-case hex SHA-256 fingerprints the archive must match one of; empty: not checked. */
  hashes: string[];
  /** File served for the path itself and for a folder (Crossbar's `default_object`). */
  defaultObject?: string;
  /** Folder inside the archive that the path serves, without a trailing "/". */
  objectPrefix?: string;
  /** Served instead of a 404 for a name the archive lacks (Crossbar's `options.default_file`). */
  fallbackObject?: string;
  /** Extra extension -> MIME type entries, keys with their leading dot (".wasm", ".min.js"). */
  mimeTypes: Record<string, string>;
}

/** A fixed JSON value answered to GET. */
export interface JsonService {
  type: 'json';
  value: unknown;
  /** Indented output. */
  prettify: boolean;
  /** Access-Control-Allow-Origin: *. */
  allowCrossOrigin: boolean;
  /** Cache-Control: no-store. */
  discourageCaching: boolean;
}

export interface RedirectService {
  type: 'redirect';
  /** Absolute or relative URL. */
  url: string;
  /** As Crossbar. */
  status: RedirectStatus;
}

/** How a forwarding path (reverseproxy, wsgi) bounds what it forwards (its `options`, a Junction extension). */
export interface ForwardLimits {
  /** The server must start its answer within this, and never pause longer inside it. */
  timeoutMs: number;
  /** Requests forwarded at once; more are answered 503. */
  maxRequestsInFlight: number;
}

/** Forwards this path and below it to an HTTP server (Crossbar's `reverseproxy`). */
export interface ReverseProxyService {
  type: 'reverseproxy';
  host: string;
  port: number;
  /** Prefix of the forwarded path: "" or "/app". */
  path: string;
  options: ForwardLimits;
}

/** A Python WSGI app run by Junction's WSGI host (python/junction_wsgi.py); this path and below it are forwarded to it. */
export interface WsgiService {
  type: 'wsgi';
  module: string;
  object: string;
  minThreads: number;
  maxThreads: number;
  /** The router worker's Python settings. */
  python: WorkerPython;
  options: ForwardLimits;
}

/** CGI scripts from a directory (Crossbar's `cgi`): a request below the path names a script, run by `processor`. */
export interface CgiService {
  type: 'cgi';
  /** Absolute (resolved against the config folder). */
  directory: string;
  /** The program given each script's file as its argument: a path or a name on PATH. */
  processor: string;
  options: CgiLimits;
}

/** How a cgi path bounds the scripts it runs (its `options`, a Junction extension). */
export interface CgiLimits {
  /** A script running longer is killed (with its process group). */
  timeoutMs: number;
  /** Scripts running at once; more requests are answered 503. */
  maxRequestsInFlight: number;
  /** Largest request body; larger is answered 413. */
  maxRequestBodyBytes: number;
  /** Largest header block of a script's answer; larger is answered 502. */
  maxResponseHeaderBytes: number;
}

/**
 * A Twisted Web resource class (Crossbar's `resource` path) run by Junction's Python web host
 * (python/junction_web.py); this path and below it are forwarded to it.
 */
export interface ResourceService {
  type: 'resource';
  /** "module.Class", found on the router worker's pythonpath. */
  classname: string;
  /** The class's one argument, as Crossbar passes it (`extra`, else {}). */
  extra: unknown;
  /** The router worker's Python settings. */
  python: WorkerPython;
  options: ForwardLimits;
}

/**
 * Crossbar's WAMP Application Page: each route calls a procedure as `role` and renders the result
 * with a Jinja2 template, rendered by Junction's Python web host (python/junction_web.py).
 */
export interface WapService {
  type: 'wap';
  /** Absolute (resolved against the config folder), or a package's folder, found at start. */
  templates: string | PackageResource;
  /** Jinja2's sandboxed environment (Crossbar's default). */
  sandbox: boolean;
  routes: WapRoute[];
  realm: string;
  role: string;
  /** The router worker's Python settings. */
  python: WorkerPython;
  options: WapLimits;
}

export interface WapRoute {
  /** Werkzeug's rule syntax, below the service's path: "/product/<int:id>". */
  path: string;
  method: 'GET' | 'POST';
  /** The procedure; undefined: the template is rendered with no data. */
  call: string | undefined;
  /** The template's name inside the templates folder. */
  render: string;
}

/** The bounds of a wap path (its `options`, a Junction extension). */
export interface WapLimits {
  callTimeoutMs: number;
  maxOutputBytes: number;
  maxRequestsInFlight: number;
  postBodyLimit: number;
}

/** A folder shipped inside a Python package (a static path's `package` and `resource`), found with the router worker's Python. */
export interface PackageResource {
  package: string;
  /** Relative, "/"-separated: "web" or "static/site". */
  resource: string;
  python: WorkerPython;
}

/** A worker's Python process settings (a router worker's, for its wsgi, resource and package static paths). */
export interface WorkerPython {
  /** The worker in the file ("workers[0]"), for messages naming its keys. */
  at: string;
  /** The worker's `options.python`, or /usr/bin/python3. */
  executable: string;
  /** `executable` was given: no fallback to python3 on the PATH. */
  interpreterGiven: boolean;
  /** Absolute folders, put first on sys.path. */
  pythonpath: string[];
  env: { inherit: boolean | string[]; vars: Record<string, string> };
  /** Absolute: the config folder. */
  workdir: string;
}

/** The form field names an upload path reads (Crossbar's `form_fields`); the optional ones absent when not configured. */
export interface UploadFormFields {
  fileName: string;
  mimeType: string;
  totalSize: string;
  chunkNumber: string;
  chunkSize: string;
  totalChunks: string;
  content: string;
  onProgress?: string;
  session?: string;
  chunkExtra?: string;
  finishExtra?: string;
}

/**
 * Chunked file uploads (Crossbar's `upload`, the resumable.js protocol): chunks gathered in
 * `tempDirectory`, the finished file moved into `directory`, progress published as `role` in `realm`.
 */
export interface UploadService {
  type: 'upload';
  realm: string;
  role: string;
  /** Absolute; must exist. */
  directory: string;
  /** Absolute; created when missing. Absent: a folder of this path's own in the node's data folder. */
  tempDirectory?: string;
  formFields: UploadFormFields;
  /** Largest file, bytes (Crossbar's max_file_size). */
  maxFileSize: number;
  /** Extensions with their dot; absent: any. */
  fileTypes?: string[];
  /** Mode of a finished file (Crossbar's octal file_permissions); absent: the umask's. */
  fileMode?: number;
  /** Junction's bounds: the largest chunk, chunks per file, unfinished uploads, their bytes on disk, requests at once. */
  maxChunkSize: number;
  maxChunks: number;
  maxUploads: number;
  maxTempBytes: number;
  /** An unfinished upload with no chunk for this long is removed, ms. */
  uploadTimeoutMs: number;
  maxRequestsInFlight: number;
}

/** JSON facts about the node: version, uptime, realms with session counts. Never secrets. */
export interface NodeInfoService {
  type: 'nodeinfo';
}

/** Junction extension for load balancers: 200 while serving, 503 while starting or shutting down. */
export interface HealthService {
  type: 'health';
}

/**
 * Junction extension: the web console. Serves its page on the path and WAMP over WebSocket (JSON)
 * at "<path>/ws" for the page's own session, which signs in to `realm` with `auth`.
 */
export interface ConsoleService {
  type: 'console';
  realm: string;
  /** anonymous, ticket and/or wampcra only. */
  auth: AuthConfig;
  /** Of the console's WebSocket: the defaults of a websocket path service. */
  websocket: WebSocketOptions;
}

/** Junction extension: Prometheus text exposition of the node's metrics. */
export interface MetricsService {
  type: 'metrics';
}

/** Limits and checks shared by the HTTP publisher, caller and webhook. */
export interface HttpBridgeOptions {
  /** Largest request body in bytes (Crossbar's `post_body_limit`; a 0 in the file means the default). */
  postBodyLimit: number;
  /**
   * Only these client addresses may post (Crossbar's `require_ip`): addresses or CIDR ranges,
   * "10.0.0.0/8" or Crossbar's "10.0.0.0/255.0.0.0". Empty: every address.
   */
  requireIp: string[];
  /** Refuse requests that did not arrive over TLS. Behind a trusted proxy, X-Forwarded-Proto counts. */
  requireTls: boolean;
  /** Signed requests (Crossbar's `key` and `secret`): present when both are given. */
  signature?: HttpSignatureOptions;
  /** Requests handled at once; more get 503 (Junction extension `max_requests_in_flight`; absent: defaultMaxRequestsInFlight). */
  maxRequestsInFlight?: number;
  /**
   * Origin patterns of other sites whose browser pages may post, and get CORS (Junction extension
   * `allowed_origins`; "*" matches any run of characters). Absent or empty: only requests without
   * an Origin (backends) and same-origin pages.
   */
  allowedOrigins?: string[];
}

export interface HttpSignatureOptions {
  key: string;
  /** Never logged. */
  secret: string;
  /** A request's `timestamp` may differ from the router's clock by at most this many seconds (as Crossbar's code). */
  timestampDeltaLimitSeconds: number;
  /** Signed requests remembered against replay; when full, new ones get 429 (Junction extension `replay_memory`; absent: defaultReplayMemory). */
  replayMemory?: number;
}

/** POST {topic, args, kwargs, options} -> publish as `role` in `realm`. */
export interface PublisherService {
  type: 'publisher';
  realm: string;
  role: string;
  options: HttpBridgeOptions;
}

/** POST {procedure, args, kwargs, options: {timeout}} -> call as `role` in `realm`. */
export interface CallerService {
  type: 'caller';
  realm: string;
  role: string;
  options: HttpBridgeOptions;
  /**
   * The longest a call may run, and the timeout of calls that ask for none, in ms (Junction's
   * `options.max_timeout`, 1 to 3600000). A request asking for more is refused.
   */
  maxTimeoutMs: number;
}

/** Any POST -> one event {headers, body} on `topic`. */
export interface WebhookService {
  type: 'webhook';
  realm: string;
  role: string;
  topic: string;
  /** Body answered on success (Crossbar's `success_response`). */
  successResponse: string;
  /** Body answered when publishing failed (Crossbar's `error_response`). */
  errorResponse: string;
  /** GitHub-style X-Hub-Signature-256 (HMAC-SHA256 of the body) is required when set. Never logged. */
  githubSecret?: string;
  /** post_body_limit, require_ip, require_tls as for the publisher; never `signature`. */
  options: Omit<HttpBridgeOptions, 'signature'>;
}

/** WAMP over HTTP long-poll (the protocol AutobahnJS speaks) on this path and below it. */
export interface LongPollService {
  type: 'longpoll';
  serializers: Serializer[];
  /** A held `receive` request is answered empty after this many ms (Crossbar `request_timeout`, s -> ms). */
  requestTimeoutMs: number;
  /** A transport with no request for this many ms is closed (Crossbar `session_timeout`). */
  sessionTimeoutMs: number;
  /** Bytes queued for a transport between receives before it is closed. */
  queueLimitBytes: number;
  /** Messages queued for a transport between receives before it is closed. */
  queueLimitMessages: number;
  /** Largest `send` body in bytes. */
  maxMessageSize: number;
  /** Junction extension: transports open at once on this path; more `open`s get 503. */
  maxTransports: number;
  /** Junction extension: transports one client address may hold open; more get 429 (0: no limit). */
  maxPerAddress: number;
  /** Crossbar's `debug_transport_id`: the id every `open` gets, for trying the protocol by hand. */
  debugTransportId?: string;
  /** Same meaning and default as a websocket service's auth. */
  auth: AuthConfig;
}

/** Junction extension: Server-Sent Events of the topics named in the query, for clients without a WAMP library. */
export interface SseService {
  type: 'sse';
  realm: string;
  /**
   * Who the listener is: anonymous with a role, and/or a ticket (query `ticket`, a cookie named
   * `cookieName`, or `Authorization: Bearer`). Only anonymous and ticket are allowed here.
   */
  auth: AuthConfig;
  /** Cookie holding the ticket. */
  cookieName: string;
  /** A comment line is sent after this many ms of silence. */
  heartbeatMs: number;
  /** Topics one request may name. */
  maxTopics: number;
  /** Slow-consumer limit per connection, bytes. */
  maxBufferedBytes: number;
  /** Streams open at once on this path; more requests get 503. */
  maxStreams: number;
  /** Streams one client address may hold open; more get 429 (0: no limit). */
  maxPerAddress: number;
  /** How long a resume from a bare publication ID not heard here yet waits for it, ms. */
  resumeWaitMs: number;
}

export type Serializer = 'json' | 'msgpack' | 'cbor';

export interface WebSocketService {
  type: 'websocket';
  /** Non-empty, no duplicates; offered as wamp.2.<name> subprotocols. */
  serializers: Serializer[];
  options: WebSocketOptions;
  /** At least one method. */
  auth: AuthConfig;
  /** Cookie authentication (Crossbar's `auth.cookie` with the `cookie` block); absent: no cookie is set. */
  cookieAuth?: CookieAuthConfig;
}

/**
 * Crossbar's `websocket-reverseproxy`: each client's WebSocket on this path is relayed, message by
 * message, to a WebSocket of its own to the backend (any subprotocol; docs/configuration.md).
 */
export interface WebSocketProxyService {
  type: 'websocket-reverseproxy';
  /** The clients' side. */
  options: WebSocketProxyOptions;
  backend: WebSocketProxyBackend;
}

export interface WebSocketProxyOptions extends Pick<WebSocketOptions,
  'maxMessageSize' | 'autoPingInterval' | 'autoPingTimeout' | 'openHandshakeTimeout' | 'allowedOrigins' | 'allowNullOrigin' | 'compression' | 'maxPerAddress'> {
  /** Bytes waiting to be written to one side before the other side is no longer read (until half have gone). */
  maxBufferedBytes: number;
  /** Proxied connections open at once on the path; more upgrades get 503 (0: no limit). */
  maxConnections: number;
}

/**
 * Crossbar's WebSocket echo server (a `websocket-testee` worker's transport, or a router's
 * `websocket.testee` transport): a websocket listener's only path, answering every path.
 */
export interface WebSocketTesteeService {
  type: 'websocket-testee';
  options: WebSocketTesteeOptions;
}

/** A reverse proxy's clients' side has the same settings: an echo server's peer is the client itself. */
export type WebSocketTesteeOptions = WebSocketProxyOptions;

/** A `flashpolicy` transport's cross-domain policy: the two attributes of its one allow-access-from element. */
export interface FlashPolicyConfig {
  /** "*", "*.example.com", a name or an address. */
  allowedDomain: string;
  /** "*" or ports separated by commas ("8080,8443"). */
  allowedPorts: string;
}

export interface WebSocketProxyBackend {
  /** Where to connect: a TCP host and port (TLS when `tls` is set), or a Unix socket (absolute path). */
  endpoint: { type: 'tcp'; host: string; port: number; family: 4 | 6; tls?: ConnectingTls } | { type: 'unix'; path: string };
  /** Ms the connection and the opening handshake (TLS, WebSocket) may take. */
  connectTimeoutMs: number;
  /** The handshake's URL: its Host header and path. */
  url: string;
  /** Largest message accepted from the backend, bytes. */
  maxMessageSize: number;
  autoPingInterval: number;
  autoPingTimeout: number;
  compression: boolean;
}

/** TLS to another server (a proxy's backend, a router link): PEM file paths made absolute against the config folder. */
export interface ConnectingTls {
  /** The name the server's certificate must carry. */
  servername: string;
  caCertificates?: string[];
  certificate?: string;
  key?: string;
}

/** Crossbar's tracking cookie, as cookie authentication uses it (src/auth/cookie). */
export interface CookieAuthConfig {
  /** The cookie's name (default "cbtid"). */
  name: string;
  /** Characters of a new cookie's random value (at least 22). */
  length: number;
  /** Max-Age of the cookie, and how long its sign-in holds. */
  maxAgeSeconds: number;
  /**
   * memory: this process (with --workers, shared through a file the parent makes; in a Redis
   * cluster, Redis); file: an lmdb store at `path` (Crossbar's file and database stores), which
   * imports once the bound cookies of Crossbar's own file `crossbarFile` when there is one.
   */
  store: { type: 'memory' } | { type: 'file'; path: string; crossbarFile?: string };
  /** Bound cookies kept at most; past it the oldest go first. */
  maxEntries: number;
  /** Bound cookies of one identity (realm, authid) kept at most by each process; past it its oldest go first. */
  maxEntriesPerAuthid: number;
  sameSite: 'Lax' | 'Strict';
  /** Secure even when the upgrade came over plain HTTP (Crossbar's `secure: true`). */
  alwaysSecure: boolean;
}

export interface WebSocketOptions {
  /** Largest incoming message in bytes. */
  maxMessageSize: number;
  /** Send a WebSocket ping after this many ms (0 = never). */
  autoPingInterval: number;
  /** Close the connection when a ping is not answered within this many ms. */
  autoPingTimeout: number;
  /** Close a connection whose WebSocket + WAMP opening does not complete within this many ms (0 = no limit). */
  openHandshakeTimeout: number;
  /**
   * Origin patterns accepted in the upgrade request. As in Crossbar, "*" inside a
   * pattern matches any run of characters ("https://*.example.com"). Requests without an Origin
   * header (non-browser clients) are not affected.
   */
  allowedOrigins: string[];
  /** Accept the literal origin "null" (sandboxed pages, file://) even when allowedOrigins is narrower (as Crossbar). */
  allowNullOrigin: boolean;
  /** Negotiate permessage-deflate. */
  compression: boolean;
  /** Junction's slow-consumer limit: bytes queued for one connection before its policy applies. */
  maxBufferedBytes: number;
  /** Connections one client address (trusted proxies considered) may hold on this path; more get 429 (0: no limit). */
  maxPerAddress: number;
  /**
   * Crossbar's require_websocket_subprotocol. false: a client that offers no subprotocol we serve
   * (or none) is served JSON without one being announced in the response, as Crossbar does.
   */
  requireWebsocketSubprotocol: boolean;
  /** Junction extension: WAMP v1 clients (subprotocol "wamp") accepted; absent: refused. */
  wamp1?: Wamp1Options;
}

/** WAMP v1 on a websocket path: every v1 session joins `realm` as `role` (v1 has no authentication). */
export interface Wamp1Options {
  realm: string;
  role: string;
  /** v1 -> v2 URI prefixes, first match wins; unmatched URIs are kept as they are. */
  uris: { v1: string; v2: string }[];
  /** PREFIX entries one session may define. */
  maxPrefixes: number;
}

export interface DynamicAuthConfig {
  type: 'dynamic';
  /** URI of the procedure that decides (realm, authid, details) -> role / principal. */
  authenticator: string;
  /** Realm where the authenticator is registered; default: the realm the client asked for. Exists in `realms`. */
  authenticatorRealm?: string;
  /** Role under which the authenticator is called; default: the client's requested role. */
  authenticatorRole?: string;
  /** A Crossbar function authenticator's `create`, served by Junction's Python host under `authenticator` (normalize-function-auth.ts). */
  function?: string;
}

export type AnonymousAuthConfig = { type: 'static'; role: string; authid?: string } | DynamicAuthConfig;

export type TicketAuthConfig =
  | { type: 'static'; principals: Record<string, TicketPrincipal> }
  | DynamicAuthConfig;

export interface TicketPrincipal {
  ticket: string;
  role: string;
}

export type WampCraAuthConfig = { type: 'static'; users: Record<string, WampCraUser> } | DynamicAuthConfig;

export interface WampCraUser {
  secret: string;
  role: string;
  /** Salted secrets (PBKDF2): salt, iterations and keylen are all present or all absent. */
  salt?: string;
  iterations?: number;
  keylen?: number;
}

export type CryptosignAuthConfig =
  | { type: 'static'; principals: Record<string, CryptosignPrincipal> }
  | DynamicAuthConfig;

export type ScramAuthConfig = { type: 'static'; principals: Record<string, ScramPrincipal> } | DynamicAuthConfig;

/** A WAMP-SCRAM principal: what the client's key derivation needs, and the keys that check its proof (hex). */
export interface ScramPrincipal {
  kdf: ScramKdf;
  iterations: number;
  /** Argon2's memory cost, KiB; always present with Argon2. */
  memory?: number;
  salt: string;
  storedKey: string;
  serverKey: string;
  role: string;
}

export interface CryptosignPrincipal {
  /** Ed25519 public keys, 64 hex characters each; at least one. */
  authorizedKeys: string[];
  role: string;
  /** Realm this principal joins when the client names none. */
  realm?: string;
}

/**
 * realm -> role -> for each connection of the proxy route, in order (Crossbar takes them in
 * turn), what the router transport it reaches does with the sessions it brings. Only routes with
 * at least one entry other than null are listed.
 */
export type ProxyAuthenticators = Record<string, Record<string, readonly ProxyBackendSignIn[]>>;

/**
 * A dynamic `cryptosign-proxy` authenticator asked for each session; a refusal of every one (the
 * transport does not offer the method the proxy signs in with), with why; or null: admitted
 * without asking (a static `cryptosign-proxy`, or `anonymous-proxy`).
 */
export type ProxyBackendSignIn = DynamicAuthConfig | { type: 'refused'; why: string } | null;

/** Keyed by the WAMP authmethod name; at least one is present. */
export interface AuthConfig {
  /**
   * The realms and roles a sign-in here may end in (a Crossbar proxy worker's `routes`: realm ->
   * roles); others are refused as Crossbar's proxy refuses them. Absent: every realm and role.
   */
  routes?: Record<string, readonly string[]>;
  /** A proxy worker's routes whose sign-ins its backend's authenticator also decides (src/auth/proxy-backend.ts). */
  proxyAuthenticators?: ProxyAuthenticators;
  anonymous?: AnonymousAuthConfig;
  ticket?: TicketAuthConfig;
  wampcra?: WampCraAuthConfig;
  cryptosign?: CryptosignAuthConfig;
  scram?: ScramAuthConfig;
  /** TLS client certificates (MQTT transports on a TLS endpoint with caCertificates). */
  tls?: TlsAuthConfig;
}

export type TlsAuthConfig =
  | { type: 'static'; principals: Record<string, TlsPrincipal> }
  | DynamicAuthConfig;

export interface TlsPrincipal {
  role: string;
  /** Crossbar's `certificate-sha1`: the certificate's SHA-1 fingerprint. Without it: a trusted certificate whose subject CN is the authid. */
  certificateSha1?: string;
}

/** RawSocket (the WAMP spec's TCP transport) settings of a rawsocket or universal listener. */
export interface RawSocketService {
  /** Non-empty, no duplicates. */
  serializers: Serializer[];
  /** Largest message this router accepts, in bytes (Crossbar's `max_message_size`, 512 B to 16 MiB); announced as the handshake exponent that does not exceed it. */
  maxMessageSize: number;
  /** Connections at once; more are refused with the handshake error "maximum connection count reached". */
  maxConnections: number;
  /** Connections one client IP address may hold; more are refused like maxConnections (0: no limit; not on Unix sockets). */
  maxPerAddress: number;
  /** PING after this many ms of silence (0 = never); a PONG must come within autoPingTimeout. */
  autoPingInterval: number;
  autoPingTimeout: number;
  /** Handshake plus WAMP opening must finish within this many ms. */
  openHandshakeTimeout: number;
  /** Slow-consumer limit, bytes. */
  maxBufferedBytes: number;
  auth: AuthConfig;
}

/** How an MQTT payload reads as a WAMP publication and back, for topics under one WAMP URI prefix. */
export type MqttPayloadFormat =
  | { type: 'native'; serializer: Serializer }
  | { type: 'passthrough' }
  | { type: 'json' }
  /** WAMP procedures encode and decode (called in `realm`, the transport's own by default). */
  | { type: 'dynamic'; encoder: string; decoder: string; realm: string };

/** An MQTT transport (Crossbar's `mqtt`): every client is a session of `realm`. */
export interface MqttService {
  realm: string;
  /** WAMP URI prefix -> payload format; the longest prefix of a topic wins. Always has the prefix "". */
  payloadMapping: Record<string, MqttPayloadFormat>;
  /** Anonymous and/or ticket only (username + password). Without `auth`: anonymous, with Crossbar's `options.role`. */
  auth: AuthConfig;
  /** Largest packet accepted, bytes (announced in MQTT 5 CONNACK). */
  maxPacketSize: number;
  /** QoS 1/2 publications a client may have unacknowledged towards the router (MQTT 5 Receive Maximum). */
  receiveMaximum: number;
  /** QoS 1/2 messages sent to a client and not yet acknowledged; the client's own Receive Maximum may lower it. */
  maxInflight: number;
  /** Payload bytes of those messages; past this the next waits for acknowledgements (one message alone is sent whatever its size). */
  maxInflightBytes: number;
  /** Messages waiting for one client; past this the oldest is dropped, counted and logged. */
  maxQueuedMessages: number;
  /** Payload bytes of the messages waiting for one client; past this the oldest are dropped (one message alone is kept). */
  maxQueuedBytes: number;
  /** Payload bytes of the QoS 1/2 messages all the transport's clients hold (queued, in flight; shared payloads once); past it new ones are dropped. */
  maxTotalQueuedBytes: number;
  /** Bytes of the wills the transport holds, each counted as its CONNECT's size; a CONNECT whose will does not fit is refused. */
  maxTotalWillBytes: number;
  /** Events for one client's No Local subscriptions held while the router has not answered its publication; past it the oldest go on unchecked. */
  maxNoLocalHeld: number;
  /** Their estimated payload bytes; past it the oldest go on unchecked (one event alone is held). */
  maxNoLocalHeldBytes: number;
  /** Topic filters one client may hold. */
  maxSubscriptions: number;
  maxConnections: number;
  /** Connections one client IP address may hold (0: no limit). */
  maxPerAddress: number;
  /** Client sessions kept, connected or persistent offline. */
  maxSessions: number;
  /** New connections accepted per second (bursts of twice that). */
  connectionRate: number;
  /** Seconds a persistent session is kept offline at most. */
  maxSessionExpiry: number;
  /** Ms within which CONNECT must arrive. */
  openHandshakeTimeout: number;
  /** Slow-consumer limit, bytes queued for one connection. */
  maxBufferedBytes: number;
  /** Ms a dynamic mapping's encoder or decoder has to answer. */
  codecTimeout: number;
  /** Publications of one connection waiting on a decoder; events for one client waiting on an encoder. */
  maxCodecCallsPerConnection: number;
  /** Encoder and decoder calls in flight for the transport. */
  maxCodecCalls: number;
}

/** Junction extension: MQTT over WebSocket (subprotocol "mqtt") on a web path, for browser MQTT clients. */
export interface MqttPathService extends MqttService {
  type: 'mqtt';
}

/**
 * A component of the router worker. Crossbar's Python components are recorded here (their
 * worker's Python process runs them: `guests`, `routerPython`); the HTTP bridge components are
 * run by Junction inside the router.
 */
export type ComponentConfig =
  | PythonComponentConfig
  | ForwarderComponentConfig
  | RestCalleeComponentConfig
  | ProcessComponentConfig
  | ZeromqComponentConfig
  | StdioComponentConfig;

/** A Python component named in the file (run by its worker's Python process: `guests`, `routerPython`; a container's functions get a notice). */
export interface PythonComponentConfig {
  kind: 'python';
  /** A router worker's component or a container worker's. */
  where: 'router' | 'container';
  /** Crossbar's component type: "class" or "function" (both Python). */
  type: string;
  id?: string;
  classname?: string;
  realm: string;
  role?: string;
  extra: Record<string, unknown>;
}

/** What every bridge component shares: where its session joins and as whom. */
export interface BridgeComponentBase {
  /** The file's `id`, or `component<index>`: names the outbox folder and log lines. */
  id: string;
  realm: string;
  /** Role of its session; authorization applies. Absent: the router's own trusted role. */
  role?: string;
}

/** Crossbar's crossbar.bridge.rest.MessageForwarder: topic events -> HTTP requests to the app. */
export interface ForwarderComponentConfig extends BridgeComponentBase {
  kind: 'forwarder';
  subscriptions: { topic: string; match: MatchPolicy; url: string }[];
  /** HTTP method. */
  method: string;
  /** Status code that means delivered (Crossbar's `expectedcode`); absent: any 2xx. */
  expectedCode?: number;
  /** Extra request headers. */
  headers: Record<string, string>;
  /** HMAC-SHA256 of the body in header X-Junction-Signature when set. Never logged. */
  signingSecret?: string;
  /** One request may take this many ms before it counts as failed. */
  timeoutMs: number;
  /** Requests in flight per URL. */
  concurrencyPerUrl: number;
  /** Retry schedule: exponential from initialDelayMs, capped at maxDelayMs, with jitter. */
  retry: { initialDelayMs: number; maxDelayMs: number; maxAttempts: number };
  /** Messages kept undelivered before new ones are refused with a logged error. */
  outboxLimit: number;
  /** Bytes the outbox may take on disk, dead letters included; past it the oldest dead letters go, then new events are refused. */
  outboxLimitBytes: number;
}

/** Crossbar's crossbar.bridge.rest.RESTCallee: a procedure that performs an HTTP request to the app. */
export interface RestCalleeComponentConfig extends BridgeComponentBase {
  kind: 'rest-callee';
  procedure: string;
  /** Every request URL is this joined with the caller's `url`, and never escapes it. */
  baseUrl: string;
  /** Headers added to every request (the caller's come after). */
  headers: Record<string, string>;
  /** Per-request timeout in ms. */
  timeoutMs: number;
  /** Answer a 4xx / 5xx status with a WAMP error instead of {code, content, headers} (as Crossbar). */
  errorOn4xx: boolean;
  errorOn5xx: boolean;
  /** Largest response body kept, bytes. */
  maxResponseBytes: number;
  /**
   * Junction extension `extra.authenticator`: the procedure is a dynamic authenticator that POSTs
   * each sign-in to baseUrl (see docs/rest-procedures.md). Present only when true.
   */
  authenticator?: boolean;
}

/** Junction's `process` component: a procedure served by running a program per call. */
export interface ProcessComponentConfig extends BridgeComponentBase {
  kind: 'process';
  procedure: string;
  /** Executable and its fixed arguments; no shell. The executable path is absolute or found on PATH. */
  command: string[];
  /** Working directory (absolute; default: the config folder). */
  cwd: string;
  /** Environment variables added to a minimal environment (PATH, HOME, LANG). */
  env: Record<string, string>;
  /** A run is killed after this many ms. */
  timeoutMs: number;
  /** Runs at once; further calls wait in line. */
  concurrency: number;
  /** Calls waiting for a run slot before new calls are refused. */
  queueLimit: number;
  /** Largest stdout kept, bytes; more fails the call. */
  maxOutputBytes: number;
}

/** Junction's `zeromq` component: each message an app sends to a ZeroMQ socket is published. */
export interface ZeromqComponentConfig extends BridgeComponentBase {
  kind: 'zeromq';
  /** "pull" receives from PUSH sockets, "sub" from PUB sockets. */
  socket: 'pull' | 'sub';
  /** Bind (the app connects) or connect (the app binds), and where. */
  endpoint: { mode: 'bind' | 'connect'; address: string };
  /** Prefixes a "sub" socket receives ([""]: every message); empty for "pull". */
  subscribe: string[];
  /** Topic from this field of any JSON object, the object as args[0]; absent: {topic, args, kwargs, options}. */
  topicField?: string;
  /** Larger messages are refused by ZeroMQ (ZMQ_MAXMSGSIZE), which drops the sender's connection. */
  maxMessageBytes: number;
}

/** Junction's `stdio` component: a long-running program speaking WAMP as JSON lines on stdin/stdout. */
export interface StdioComponentConfig extends BridgeComponentBase {
  kind: 'stdio';
  /** Executable and its fixed arguments; no shell. */
  command: string[];
  /** Working directory (absolute). */
  cwd: string;
  /** Environment variables added to a minimal environment (PATH, HOME, LANG), or to what `inherit` names. */
  env: Record<string, string>;
  /**
   * Which of the router's environment variables it gets instead of the minimal environment, as a
   * guest worker's `env.inherit` (a function authenticator's host: its router worker's options.env).
   */
  inherit?: boolean | string[];
  /** The Python `create` of the function authenticator it hosts: Junction made this component, the file declared none. */
  authenticatorFunction?: string;
  /** Longest line either way, bytes. */
  maxLineBytes: number;
  /** Lines waiting for the program to read its stdin. */
  queueLimit: number;
  /** Restart backoff after the program exits. */
  restart: { initialDelayMs: number; maxDelayMs: number };
  /** Secrets it is given other than in its command and env names (a function authenticator's config): masked in its output. */
  secrets?: string[];
}
/** Junction's `pusher` transport: the Pusher Channels protocol and HTTP API (docs/pusher.md). */
export interface PusherServiceConfig {
  apps: PusherAppConfig[];
  /** Seconds of client silence before the server pings it (told to clients in connection_established). */
  activityTimeoutS: number;
  /** Ms to wait for the answer to that ping before closing with 4201. */
  pongTimeoutMs: number;
  /** Bytes of an event's data (client events and HTTP API events). */
  maxEventSize: number;
  /** Bytes of one WebSocket message; a larger one closes the connection with 1009. */
  maxMessageSize: number;
  maxChannelsPerConnection: number;
  /** A presence member's user_id (characters) and user_info (bytes of JSON); more get a subscription error. */
  maxUserIdLength: number;
  maxUserInfoSize: number;
  /** Members (distinct user_ids) of one presence channel; a subscription that would add one more is refused. */
  maxPresenceMembers: number;
  /** Client events per second per connection (and the burst allowed). */
  clientEventsPerSecond: number;
  /** Connections at once, per transport and per client address (0: no limit per address). */
  maxConnections: number;
  maxPerAddress: number;
  /** Bytes waiting to be written to one connection before it is closed as a slow consumer. */
  maxBufferedBytes: number;
  /** HTTP API requests handled at once (reading the body, waiting for the router); more get 503. */
  maxApiRequestsInFlight: number;
}

export interface PusherAppConfig {
  /** The app id of the HTTP API's paths (/apps/{id}/...). */
  id: string;
  /** The key clients connect with (/app/{key}). */
  key: string;
  /** Signs subscriptions, sign-ins, API requests and webhooks. Never logged. */
  secret: string;
  /** The realm every connection joins, as `role` (not trusted). */
  realm: string;
  role: string;
  /** client-* events on private and presence channels. */
  clientEvents: boolean;
  /** Channel C is topic topicPrefix + C. */
  topicPrefix: string;
  webhooks: { url: string; events: PusherWebhookEventName[] }[];
}

export type PusherWebhookEventName = 'channel_occupied' | 'channel_vacated' | 'member_added' | 'member_removed' | 'client_event';
