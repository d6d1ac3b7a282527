/**
 * Crossbar's WebSocket echo server for the Autobahn test suite: a `websocket-testee` worker's
 * `transport` (a websocket transport checked as `check_listening_transport_websocket`) and the
 * router transport `websocket.testee` (keys id, type, endpoint, url, debug, options). Both echo
 * every message back as it came; neither speaks WAMP, so WAMP settings are accepted and ignored.
 * Crossbar's `stream.testee` transport echoes the bytes of a plain TCP connection.
 */

import * as z from 'zod';
import { endpointSchema } from './schema-endpoint.js';
import { byteCount, ignored, itemId, maxPerAddress, nonNegativeInt, trustedProxies } from './schema-parts.js';
import { websocketOptionsShape } from './schema-websocket.js';
import { autobahnTuning } from './schema-websocket-proxy.js';

export const testeeDefaults = { maxBufferedBytes: 1_048_576, maxConnections: 10_000, maxPerAddress: 1_000 };

const testeeOptions = z.strictObject({
  ...autobahnTuning,
  max_message_size: websocketOptionsShape.max_message_size.describe('Largest message echoed, bytes; a larger one closes the connection with 1009.'),
  auto_ping_interval: websocketOptionsShape.auto_ping_interval,
  auto_ping_timeout: websocketOptionsShape.auto_ping_timeout,
  open_handshake_timeout: websocketOptionsShape.open_handshake_timeout.describe('Ms for the HTTP upgrade request\'s headers.'),
  allowed_origins: websocketOptionsShape.allowed_origins,
  allow_null_origin: websocketOptionsShape.allow_null_origin,
  compression: websocketOptionsShape.compression,
  require_websocket_subprotocol: ignored('require_websocket_subprotocol (the echo server takes a client with any subprotocol offer, or none, and chooses none)'),
  max_buffered_bytes: byteCount(64 * 1024 * 1024)
    .default(testeeDefaults.maxBufferedBytes)
    .describe(`Junction extension: echoed bytes waiting to be written to one connection before it is no longer read, until half have gone (default ${testeeDefaults.maxBufferedBytes}).`),
  max_connections: nonNegativeInt
    .max(1_000_000, { error: 'expected at most 1000000 connections' })
    .default(testeeDefaults.maxConnections)
    .describe(`Junction extension: echo connections open at once on this transport; more upgrades are refused with 503 (default ${testeeDefaults.maxConnections}; 0: no limit).`),
  max_per_address: maxPerAddress('connections', testeeDefaults.maxPerAddress),
  trusted_proxies: trustedProxies,
});

const noWamp = (what: string) => ignored(`${what} (the echo server speaks no WAMP)`);

const testeeShape = {
  id: itemId.optional(),
  endpoint: endpointSchema,
  url: ignored('the advertised WebSocket URL (url)'),
  debug: ignored('Crossbar debug logging (debug; use --log-level)'),
  options: testeeOptions.prefault({}),
};

/** A `websocket-testee` worker's transport: Crossbar checks it as any listening websocket transport. */
export const testeeWorkerTransport = z
  .strictObject({
    type: z.literal('websocket', { error: 'a websocket-testee worker\'s transport is "type": "websocket"' }),
    ...testeeShape,
    serializers: noWamp('serializers'),
    auth: noWamp('auth: every client is echoed to, without a sign-in'),
    cookie: noWamp('cookie tracking (cookie)'),
  })
  .describe('The echo server\'s WebSocket listener.');

/** Crossbar's `websocket.testee` pseudo transport on a router worker. */
export const testeeRouterTransport = z
  .strictObject({ type: z.literal('websocket.testee'), ...testeeShape })
  .describe('A WebSocket echo server for the Autobahn test suite (every message sent back as it came; no WAMP).');

/** Crossbar's `stream.testee` pseudo transport: every byte sent back (keys id, type, endpoint, debug). */
export const streamTesteeTransport = z
  .strictObject({
    type: z.literal('stream.testee'),
    id: itemId.optional(),
    endpoint: endpointSchema,
    debug: testeeShape.debug,
  })
  .describe('A TCP echo server: every byte sent back as it came (no framing, no WAMP).');

export type TesteeTransportFile = z.output<typeof testeeRouterTransport>;
