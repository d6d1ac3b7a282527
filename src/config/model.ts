/**
 * The normalized configuration that the rest of Junction consumes.
 *
 * The loader reads a Crossbar.io-format file (snake_case keys, workers -> router -> realms /
 * transports) and produces this model: camelCase, every default filled in, star-convention
 * URIs resolved to (uri, match), standalone websocket transports and web transports unified as
 * listeners. Nothing here needs re-validation; every field has the type and range stated.
 */

import type { MatchPolicy } from '../protocol/uri.js';

export type { MatchPolicy };

export interface JunctionConfig {
  /** Non-empty; names are unique. */
  realms: RealmConfig[];
  /** Non-empty; ids are unique; no two listen on the same (port, interface) unless port is 0. */
  listeners: ListenerConfig[];
  /** Components named in the file. Junction does not run any component kind yet; see each notice. */
  components: ComponentConfig[];
  /** One line per accepted-but-unused setting (Crossbar runtime options, Python components...). */
  notices: string[];
  /** Sign-in rate limits and authentication timeouts (the router worker's `sign_in`, a Junction extension). */
  signIn: SignInLimits;
}

export interface SignInLimits {
  /** Failed sign-ins one IP address may have before it is slowed down (default 5). */
  failureBudget: number;
  /** One failure is forgiven every this many ms (default 60000). */
  forgiveAfterMs: number;
  /** Over budget, attempts are spaced this many ms × (failures over budget + 1) (default 1000). */
  spacingMs: number;
  /** An attempt that would wait longer than this is refused at once (default 5000 ms). */
  maxWaitMs: number;
  /** A CHALLENGE not answered within this time fails (default 60000 ms). */
  challengeTimeoutMs: number;
  /** A dynamic authenticator or authorizer that does not answer in time denies (default 10000 ms). */
  dynamicTimeoutMs: number;
}

export type UriCheck = 'strict' | 'loose';

export interface RealmConfig {
  name: string;
  /** Role names are unique within the realm. A realm may have no roles (then nobody may act). */
  roles: RoleConfig[];
  options: RealmOptions;
  store: RealmStore;
}

export interface RealmOptions {
  /** Serve the wamp.session.* / wamp.subscription.* / wamp.registration.* meta API (default true). */
  enableMetaApi: boolean;
  /** URI validation rule for messages in this realm (default 'strict', as Crossbar). */
  uriCheck: UriCheck;
}

export interface RealmStore {
  /** Topics whose events are kept for wamp.subscription.get_events. */
  eventHistory: EventHistoryConfig[];
}

export interface EventHistoryConfig {
  uri: string;
  match: MatchPolicy;
  /** Events kept (positive; the store's `limit`, default 100, when not given per topic). */
  limit: number;
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

/** One HTTP(S) server: a Crossbar `websocket` transport or a `web` transport. */
export interface ListenerConfig {
  /** The transport's `id` from the file, or `transport<index>`. */
  id: string;
  kind: 'websocket' | 'web';
  endpoint: EndpointConfig;
  /**
   * URL path -> service. Keys are normalized to "/" or "/a/b" (no trailing slash). A standalone
   * websocket transport has exactly `{"/": service}`.
   */
  paths: Record<string, PathService>;
}

export interface EndpointConfig {
  /** 0..65535; 0 asks the OS for a free port. */
  port: number;
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
  /** OpenSSL cipher list, passed to Node's TLS `ciphers`. */
  ciphers?: string;
  /** PEM file with Diffie-Hellman parameters (Node's TLS `dhparam`). */
  dhparam?: string;
}

/** Only WebSocket today; other Crossbar path services are rejected by the loader with their path. */
export type PathService = WebSocketService;

export type Serializer = 'json' | 'msgpack' | 'cbor';

export interface WebSocketService {
  type: 'websocket';
  /** Non-empty, no duplicates; offered as wamp.2.<name> subprotocols. Default: all three. */
  serializers: Serializer[];
  options: WebSocketOptions;
  /** At least one method. Default when the file has no `auth`: anonymous with role "anonymous". */
  auth: AuthConfig;
}

export interface WebSocketOptions {
  /** Largest incoming message in bytes (default 1048576). */
  maxMessageSize: number;
  /** Send a WebSocket ping after this many ms (default 25000; 0 = never). */
  autoPingInterval: number;
  /** Close the connection when a ping is not answered within this many ms (default 10000). */
  autoPingTimeout: number;
  /** Close a connection whose WebSocket + WAMP opening does not complete within this many ms (default 10000; 0 = no limit). */
  openHandshakeTimeout: number;
  /**
   * Origin patterns accepted in the upgrade request (default ["*"]). As in Crossbar, "*" inside a
   * pattern matches any run of characters ("https://*.example.com"). Requests without an Origin
   * header (non-browser clients) are not affected.
   */
  allowedOrigins: string[];
  /** Accept the literal origin "null" (sandboxed pages, file://) even when allowedOrigins is narrower (default true, as Crossbar). */
  allowNullOrigin: boolean;
  /** Negotiate permessage-deflate (default false). */
  compression: boolean;
  /** Junction's slow-consumer limit: bytes queued for one connection before its policy applies (default 4194304). */
  maxBufferedBytes: number;
}

export interface DynamicAuthConfig {
  type: 'dynamic';
  /** URI of the procedure that decides (realm, authid, details) -> role / principal. */
  authenticator: string;
  /** Realm where the authenticator is registered; default: the realm the client asked for. Exists in `realms`. */
  authenticatorRealm?: string;
  /** Role under which the authenticator is called; default: the client's requested role. */
  authenticatorRole?: string;
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

export interface CryptosignPrincipal {
  /** Ed25519 public keys, 64 hex characters each; at least one. */
  authorizedKeys: string[];
  role: string;
  /** Realm this principal joins when the client names none. */
  realm?: string;
}

/** Keyed by the WAMP authmethod name; at least one is present. */
export interface AuthConfig {
  anonymous?: AnonymousAuthConfig;
  ticket?: TicketAuthConfig;
  wampcra?: WampCraAuthConfig;
  cryptosign?: CryptosignAuthConfig;
}

/** A component named in the file (Crossbar runs these in-process; Junction records them only). */
export interface ComponentConfig {
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
