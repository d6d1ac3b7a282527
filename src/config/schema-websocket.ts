/**
 * WAMP over WebSocket in Crossbar's format: serializers, the `options` block (Crossbar's keys,
 * Autobahn tuning knobs accepted and ignored) and `auth`, shared by the standalone websocket
 * transport, websocket path services and a universal transport's websocket parts.
 */

import * as z from 'zod';
import { websocketAuthSchema } from './schema-auth.js';
import { cookieTracking } from './schema-cookie.js';
import { Ignored, notice } from './notices.js';
import {
  ignored,
  pathServiceId,
  maxPerAddress,
  milliseconds,
  nonEmptyString,
  positiveInt,
  realmName,
  roleName,
  trustedProxies,
} from './schema-parts.js';

export const serializerNames = ['json', 'msgpack', 'cbor'] as const;
/** Serializers Crossbar knows that Junction does not speak: dropped from a list with a notice, as a client offering them falls back to another. */
const otherCrossbarSerializers = ['ubjson', 'flatbuffers'] as const;

const serializerExpected = `expected one of ${[...serializerNames, ...otherCrossbarSerializers].map((name) => JSON.stringify(name)).join(', ')}`;

const serializer = z.enum(serializerNames);

const droppedSerializer = z
  .enum(otherCrossbarSerializers)
  .transform((name) => new Ignored((path) => notice('config.notice.serializer_dropped', path, name, serializerNames)));

/** The WAMP serializers a transport offers (default: all three). */
export const serializers = z
  .array(z.union([serializer, droppedSerializer], { error: (issue) => (issue.code === 'invalid_union' ? serializerExpected : undefined) }))
  .min(1, { error: 'needs at least one serializer' })
  .refine((list) => list.some((name) => !(name instanceof Ignored)), {
    error: `names no serializer Junction speaks; add one of ${serializerNames.join(', ')}`,
  })
  .default([...serializerNames])
  .describe('WAMP serializers offered (default: all).');

/** The serializers of a list that Junction speaks, each once, in the file's order. */
export function offeredSerializers(list: readonly (SerializerName | Ignored)[]): SerializerName[] {
  return [...new Set(list.filter((name): name is SerializerName => !(name instanceof Ignored)))];
}

const compressionTuning = (name: string) => ignored(`the permessage-deflate tuning parameter ${name} (ws defaults apply)`);

const compression = z
  .union([
    z.boolean(),
    z.strictObject({
      deflate: z
        .strictObject({
          request_no_context_takeover: compressionTuning('request_no_context_takeover'),
          request_max_window_bits: compressionTuning('request_max_window_bits'),
          no_context_takeover: compressionTuning('no_context_takeover'),
          max_window_bits: compressionTuning('max_window_bits'),
          memory_level: compressionTuning('memory_level'),
        })
        .optional(),
    }),
  ])
  .default(false)
  .describe('true, or Crossbar\'s {"deflate": {...}}, negotiates permessage-deflate.');

/** A Crossbar/Autobahn WebSocket tuning knob that the ws library either fixes or does not need. */
const tuning = (name: string) => ignored(`the Autobahn WebSocket option ${name}`);

/** Crossbar's default open_handshake_timeout, in ms; also the HTTP header limit of a port without a websocket path. */
export const defaultOpenHandshakeTimeoutMs = 10_000;

/**
 * WebSocket connections one client address may hold on one path. Higher than SSE's and long-poll's
 * 100: WebSocket is what browsers use, and a whole office behind one NAT address opens one per tab.
 */
export const defaultWebSocketMaxPerAddress = 1_000;

export const wamp1Defaults = { role: 'anonymous', maxPrefixes: 256 };

/** Junction extension: WAMP v1 clients (subprotocol "wamp") on this path, joined to one realm and role. */
const wamp1Options = z
  .strictObject({
    realm: realmName.describe('The realm every v1 session joins.'),
    role: roleName.default(wamp1Defaults.role).describe(`The role of every v1 session: v1 has no authentication (default "${wamp1Defaults.role}").`),
    uris: z
      .array(z.strictObject({
        v1: nonEmptyString.describe('A v1 URI prefix, e.g. "http://example.com/form#".'),
        v2: z.string().describe('What replaces it for the router, e.g. "com.example.form.".'),
      }))
      .default([])
      .describe('v1 -> v2 URI prefixes, first match wins; a URI no rule matches is kept as it is.'),
    max_prefixes: positiveInt.max(100000, { error: 'expected at most 100000' }).default(wamp1Defaults.maxPrefixes)
      .describe(`PREFIX entries one v1 session may define; more close the connection (default ${wamp1Defaults.maxPrefixes}).`),
  })
  .optional()
  .describe('Junction extension: speak WAMP v1 to clients that offer the "wamp" subprotocol (absent: refused).');

/** Defaults of websocket options that `junction init` also writes out (starter.ts). */
export const websocketDefaults = { maxMessageSize: 1_048_576, autoPingInterval: 25_000, autoPingTimeout: 10_000 } as const;

/** Every websocket option of Crossbar's (and Junction's): a websocket path's, a transport's, and the reverse proxy's pick of them. */
export const websocketOptionsShape = {
  max_message_size: positiveInt.default(websocketDefaults.maxMessageSize).describe('Largest incoming message in bytes.'),
  auto_ping_interval: milliseconds.default(websocketDefaults.autoPingInterval).describe('Ping each connection after this many ms (0 = never).'),
  auto_ping_timeout: milliseconds.default(websocketDefaults.autoPingTimeout).describe('Close when a ping is not answered within this many ms.'),
  open_handshake_timeout: milliseconds
    .default(defaultOpenHandshakeTimeoutMs)
    .describe(`Close a connection whose opening handshake (HTTP request headers, upgrade, WAMP HELLO to WELCOME) takes longer than this many ms (default ${defaultOpenHandshakeTimeoutMs}). 0 lifts the limit on the WAMP opening only: the port's HTTP headers keep the shortest limit of its websocket paths, or the default.`),
  allowed_origins: z
    .array(nonEmptyString)
    .default(['*'])
    .describe('Accepted Origin patterns; "*" matches any run of characters.'),
  allow_null_origin: z.boolean().default(true).describe('Accept the origin "null" (sandboxed pages, file://).'),
  compression,
  max_buffered_bytes: positiveInt
    .default(4194304)
    .describe('Junction: bytes queued for one connection before its slow-consumer policy applies.'),
  max_per_address: maxPerAddress('connections', defaultWebSocketMaxPerAddress),
  wamp1: wamp1Options,
  require_websocket_subprotocol: z
    .boolean()
    .default(true)
    .describe('false: a client that announces no WAMP subprotocol we serve (or none at all) is served JSON, as Crossbar does (needs the json serializer).'),
  external_port: tuning('external_port'),
  enable_hybi10: tuning('enable_hybi10'),
  enable_rfc6455: tuning('enable_rfc6455'),
  enable_webstatus: tuning('enable_webstatus'),
  validate_utf8: tuning('validate_utf8'),
  mask_server_frames: tuning('mask_server_frames'),
  require_masked_client_frames: tuning('require_masked_client_frames'),
  apply_mask: tuning('apply_mask'),
  max_frame_size: tuning('max_frame_size'),
  auto_fragment_size: tuning('auto_fragment_size'),
  fail_by_drop: tuning('fail_by_drop'),
  echo_close_codereason: tuning('echo_close_codereason'),
  close_handshake_timeout: tuning('close_handshake_timeout'),
  tcp_nodelay: tuning('tcp_nodelay'),
  auto_ping_size: tuning('auto_ping_size'),
  auto_ping_restart_on_any_traffic: tuning('auto_ping_restart_on_any_traffic'),
  enable_flash_policy: tuning('enable_flash_policy'),
  flash_policy: tuning('flash_policy'),
  show_server_version: tuning('show_server_version'),
};

/** Options of a websocket path service (the listener's trusted proxies belong to the web transport). */
const websocketOptions = z.strictObject({
  ...websocketOptionsShape,
  trusted_proxies: z
    .never({ error: "trusted_proxies applies to the whole port: give it in the web transport's options" })
    .optional()
    .describe("Not here: trusted_proxies goes in the web transport's options."),
});

/** Options of a listener that is a websocket transport: also the listener-wide `trusted_proxies`. */
const websocketTransportOptions = z.strictObject({ ...websocketOptionsShape, trusted_proxies: trustedProxies });

const sharedShape = {
  serializers,
  auth: websocketAuthSchema.optional(),
  url: ignored('the advertised WebSocket URL (url)'),
  debug: ignored('Crossbar debug logging (debug; use --log-level)'),
  cookie: cookieTracking.optional(),
};

/**
 * require_websocket_subprotocol: false serves unannounced clients JSON; without the json
 * serializer Crossbar would accept the file and fail each such client, so the file is refused here.
 */
export function jsonForUnannouncedClients(
  value: { serializers: readonly (SerializerName | Ignored)[]; options: { require_websocket_subprotocol: boolean } },
  ctx: z.core.$RefinementCtx,
): void {
  if (!value.options.require_websocket_subprotocol && !value.serializers.includes('json')) {
    ctx.addIssue({
      code: 'custom',
      message: 'require_websocket_subprotocol: false serves clients that announce no subprotocol JSON: add "json" to serializers, or remove the key',
      path: ['options', 'require_websocket_subprotocol'],
      params: { code: 'config.conflict' },
    });
  }
}

/** Cookie authentication signs in by the transport's tracking cookie: without the block there is none. */
function cookieAuthNeedsTracking(value: { auth?: { cookie?: object | undefined } | undefined; cookie?: object | undefined }, ctx: z.core.$RefinementCtx): void {
  if (value.auth?.cookie !== undefined && value.cookie === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'cookie authentication needs cookie tracking: add a "cookie" block (for example {"store": {"type": "memory"}}) beside "auth"',
      path: ['auth', 'cookie'],
      params: { code: 'config.conflict' },
    });
  }
}

/** The checks of every WebSocket's settings (a path, a transport, a universal transport's part). */
export function websocketChecks(value: Parameters<typeof jsonForUnannouncedClients>[0] & Parameters<typeof cookieAuthNeedsTracking>[0], ctx: z.core.$RefinementCtx): void {
  jsonForUnannouncedClients(value, ctx);
  cookieAuthNeedsTracking(value, ctx);
}

/** A websocket service on a path of a web transport. */
export const websocketService = z
  .strictObject({ type: z.literal('websocket'), id: pathServiceId, ...sharedShape, options: websocketOptions.prefault({}) })
  .superRefine(websocketChecks)
  .describe('WAMP over WebSocket on this path.');

/** Keys of a standalone websocket transport besides type, id and endpoint (also a universal transport's websocket part). */
export const websocketTransportShape = { ...sharedShape, options: websocketTransportOptions.prefault({}) };

export type WebSocketServiceFile = z.output<typeof websocketService>;
/** What normalize reads from a websocket service, transport or universal part. */
export type WebSocketSettingsFile = Pick<WebSocketServiceFile, 'serializers' | 'auth' | 'cookie'> & {
  options: Omit<z.output<typeof websocketOptions>, 'trusted_proxies'>;
};
export type SerializerName = (typeof serializerNames)[number];
