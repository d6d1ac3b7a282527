/**
 * Crossbar's `websocket-reverseproxy` path service: a WebSocket server on the path that opens a
 * WebSocket to `backend` for each client and relays messages both ways (checked as Crossbar's
 * `check_web_path_service_websocket_reverseproxy` and `check_connecting_transport_websocket` do).
 */

import * as z from 'zod';
import { connectingTls } from './schema-connecting-tls.js';
import { websocketOptionsShape } from './schema-websocket.js';
import {
  byteCount,
  ignored,
  maxPerAddress,
  missingMessage,
  nonEmptyString,
  notSupportedMessage,
  nonNegativeInt,
  pathServiceId,
  port,
  positiveInt,
  typeError,
} from './schema-parts.js';

export const websocketProxyDefaults = {
  /** Crossbar's connecting endpoints wait 10 s for the connection unless `timeout` says otherwise. */
  connectTimeoutSeconds: 10,
  maxBufferedBytes: 1_048_576,
  maxConnections: 10_000,
  maxPerAddress: 1_000,
};

const connectTimeout = positiveInt
  .max(3600, { error: 'expected at most 3600 seconds' })
  .default(websocketProxyDefaults.connectTimeoutSeconds)
  .describe(`Seconds the backend's connection and opening handshake (TLS and WebSocket) may take; a client waiting longer is answered 504 (default ${websocketProxyDefaults.connectTimeoutSeconds}).`);

const backendTcpEndpoint = z
  .strictObject({
    type: z.literal('tcp'),
    host: nonEmptyString.describe('The backend\'s host name or address.'),
    port: port.refine((value) => value > 0, { error: 'expected a port number from 1 to 65535' }),
    version: z.union([z.literal(4), z.literal(6)], { error: 'expected 4 or 6' }).default(4).describe('IP version the host is resolved to (default 4, as Crossbar).'),
    timeout: connectTimeout,
    tls: connectingTls.optional(),
  })
  .describe('The backend on a TCP port.');

const backendUnixEndpoint = z
  .strictObject({
    type: z.literal('unix'),
    path: nonEmptyString.describe('The backend\'s Unix socket file (relative paths: from the config file folder).'),
    timeout: connectTimeout,
  })
  .describe('The backend on a Unix domain socket.');

const backendEndpoint = z.discriminatedUnion('type', [backendTcpEndpoint, backendUnixEndpoint], {
  error: typeError('connecting endpoint', ['tcp', 'unix'], (type) =>
    type === 'twisted' || type === 'tor' ? notSupportedMessage(`${JSON.stringify(type)} connecting endpoints`, 'supported: tcp, unix') : undefined),
});

/** A ws:// or wss:// URL: the Host and path of the backend's handshake. */
const backendUrl = z.string().superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected a ws:// or wss:// URL, like "ws://localhost:9000/ws"' });
    return;
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') ctx.addIssue({ code: 'custom', message: `expected a ws:// or wss:// URL (not ${url.protocol})` });
  else if (url.hash !== '' || text.includes('#')) ctx.addIssue({ code: 'custom', message: 'a WebSocket URL has no fragment ("#...")' });
  else if (url.username !== '' || url.password !== '') ctx.addIssue({ code: 'custom', message: 'a WebSocket URL here carries no user name or password' });
});

/**
 * The keys of a websocket path's options that a proxy reads or refuses itself; the others are
 * Autobahn's tuning knobs, accepted and ignored here as there.
 */
const ownOptionKeys = new Set(['max_message_size', 'auto_ping_interval', 'auto_ping_timeout', 'open_handshake_timeout', 'allowed_origins',
  'allow_null_origin', 'compression', 'max_buffered_bytes', 'max_per_address', 'wamp1', 'require_websocket_subprotocol']);
export const autobahnTuning = Object.fromEntries(Object.entries(websocketOptionsShape).filter(([key]) => !ownOptionKeys.has(key)));

const backendSide = (key: string) => ignored(`${key} of the backend connection (it applies to the clients' side)`);

/** Options of the backend connection: what a WebSocket client of ours uses. */
const backendOptions = z.strictObject({
  ...autobahnTuning,
  max_message_size: websocketOptionsShape.max_message_size.describe('Largest message accepted from the backend, bytes; larger closes both connections with 1009.'),
  auto_ping_interval: websocketOptionsShape.auto_ping_interval,
  auto_ping_timeout: websocketOptionsShape.auto_ping_timeout,
  compression: websocketOptionsShape.compression,
  open_handshake_timeout: ignored('the backend\'s open_handshake_timeout (its endpoint\'s "timeout" bounds the opening)'),
  allowed_origins: backendSide('allowed_origins'),
  allow_null_origin: backendSide('allow_null_origin'),
  require_websocket_subprotocol: backendSide('require_websocket_subprotocol'),
});

const backend = z
  .strictObject({
    type: z.literal('websocket', { error: 'a backend is "type": "websocket"' }),
    id: ignored("the backend's id (id)"),
    endpoint: backendEndpoint,
    url: backendUrl.optional().describe('The URL of the backend\'s handshake: its Host header and path (default ws://HOST:PORT/ of the endpoint).'),
    serializers: ignored('serializers of the backend (the proxy relays whatever subprotocol the client and backend agree on)'),
    options: backendOptions.prefault({}),
  }, { error: missingMessage('"backend", the WebSocket server to relay to ({"type": "websocket", "endpoint": {"type": "tcp", "host": ..., "port": ...}})') })
  .describe('Where each client\'s WebSocket is relayed to: Crossbar\'s connecting websocket transport.');

/** Options of the proxy's own WebSocket (the clients' side). */
const frontendOptions = z.strictObject({
  ...autobahnTuning,
  max_message_size: websocketOptionsShape.max_message_size.describe('Largest message accepted from a client, bytes; larger closes both connections with 1009.'),
  auto_ping_interval: websocketOptionsShape.auto_ping_interval,
  auto_ping_timeout: websocketOptionsShape.auto_ping_timeout,
  open_handshake_timeout: websocketOptionsShape.open_handshake_timeout.describe('Ms for the HTTP upgrade request\'s headers (the port keeps the shortest of its WebSocket paths\').'),
  allowed_origins: websocketOptionsShape.allowed_origins,
  allow_null_origin: websocketOptionsShape.allow_null_origin,
  compression: websocketOptionsShape.compression,
  require_websocket_subprotocol: ignored('require_websocket_subprotocol (the proxy passes on the subprotocol the backend chooses)'),
  max_buffered_bytes: byteCount(64 * 1024 * 1024)
    .default(websocketProxyDefaults.maxBufferedBytes)
    .describe(`Junction extension: bytes waiting to be written to one side before the proxy stops reading the other side, until half have gone (default ${websocketProxyDefaults.maxBufferedBytes}).`),
  max_connections: nonNegativeInt
    .max(1_000_000, { error: 'expected at most 1000000 connections' })
    .default(websocketProxyDefaults.maxConnections)
    .describe(`Junction extension: proxied connections open at once on this path; more upgrades are refused with 503 (default ${websocketProxyDefaults.maxConnections}; 0: no limit).`),
  max_per_address: maxPerAddress('connections', websocketProxyDefaults.maxPerAddress),
  trusted_proxies: z
    .never({ error: "trusted_proxies applies to the whole port: give it in the web transport's options" })
    .optional(),
});

export const websocketProxyService = z
  .strictObject({
    type: z.literal('websocket-reverseproxy'),
    id: pathServiceId,
    url: ignored('the advertised WebSocket URL (url)'),
    options: frontendOptions.prefault({}),
    backend,
  })
  .describe('Relays each WebSocket on this path to a backend WebSocket server (any subprotocol, text and binary).');

export type WebSocketProxyServiceFile = z.output<typeof websocketProxyService>;
