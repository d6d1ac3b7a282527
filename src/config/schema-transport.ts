/**
 * Router transports in Crossbar's format: a standalone `websocket` transport, or a `web`
 * transport whose `paths` map URL paths to services (only `websocket` services so far).
 */

import * as z from 'zod';
import { authSchema } from './schema-auth.js';
import {
  ignored,
  itemId,
  milliseconds,
  nonEmptyString,
  notSupportedMessage,
  port,
  positiveInt,
  typeError,
  unsupported,
} from './schema-parts.js';

export const serializerNames = ['json', 'msgpack', 'cbor'] as const;
/** Serializers Crossbar knows that Junction does not speak. */
const otherCrossbarSerializers = new Set(['ubjson', 'flatbuffers']);

const serializer = z.enum(serializerNames, {
  error: (issue) => {
    if (issue.code !== 'invalid_value') return undefined;
    const name = issue.input;
    if (typeof name === 'string' && otherCrossbarSerializers.has(name)) {
      return notSupportedMessage(`the ${name} serializer`, `supported: ${serializerNames.join(', ')}`);
    }
    return `expected one of ${serializerNames.map((s) => JSON.stringify(s)).join(', ')}`;
  },
});

const tls = z
  .strictObject({
    key: nonEmptyString.describe('PEM private key file (relative paths: from the config file folder).'),
    certificate: nonEmptyString.describe('PEM certificate file.'),
    chain_certificates: z.array(nonEmptyString).default([]).describe('PEM intermediate certificate files.'),
    ciphers: nonEmptyString.optional().describe('OpenSSL cipher list.'),
    dhparam: nonEmptyString.optional().describe('PEM Diffie-Hellman parameters file.'),
    ca_certificates: unsupported('TLS client certificates (ca_certificates)'),
  })
  .describe('Serve TLS (https / wss) on this endpoint.');

const tcpEndpoint = z.strictObject({
  type: z.literal('tcp'),
  port,
  interface: nonEmptyString
    .optional()
    .describe('Address to listen on (default: all interfaces of the IP version, as Crossbar).'),
  version: z
    .union([z.literal(4), z.literal(6)], { error: 'expected 4 or 6' })
    .default(4)
    .describe('IP version when no interface is given.'),
  backlog: positiveInt.max(65535, { error: 'expected a backlog from 1 to 65535' }).optional(),
  tls: tls.optional(),
  portrange: unsupported('port ranges', 'give a single "port"'),
  shared: ignored('socket sharing between Crossbar worker processes (shared)'),
  user_timeout: ignored('the TCP user timeout (user_timeout)'),
});

const otherCrossbarEndpoints = new Set(['unix', 'twisted', 'onion']);

const endpoint = z.discriminatedUnion('type', [tcpEndpoint], {
  error: typeError('endpoint', ['tcp'], (type) =>
    otherCrossbarEndpoints.has(type) ? notSupportedMessage(`${JSON.stringify(type)} endpoints`, 'supported: tcp') : undefined,
  ),
});

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

const websocketOptions = z.strictObject({
  max_message_size: positiveInt.default(1048576).describe('Largest incoming message in bytes.'),
  auto_ping_interval: milliseconds.default(25000).describe('Ping each connection after this many ms (0 = never).'),
  auto_ping_timeout: milliseconds.default(10000).describe('Close when a ping is not answered within this many ms.'),
  open_handshake_timeout: milliseconds
    .default(10000)
    .describe('Close a connection whose opening handshake takes longer than this many ms (0 = no limit).'),
  allowed_origins: z
    .array(nonEmptyString)
    .default(['*'])
    .describe('Accepted Origin patterns; "*" matches any run of characters.'),
  allow_null_origin: z.boolean().default(true).describe('Accept the origin "null" (sandboxed pages, file://).'),
  compression,
  max_buffered_bytes: positiveInt
    .default(4194304)
    .describe('Junction: bytes queued for one connection before its slow-consumer policy applies.'),
  require_websocket_subprotocol: z
    .literal(true, {
      error: notSupportedMessage('connections without a WAMP WebSocket subprotocol (require_websocket_subprotocol: false)'),
    })
    .optional()
    .describe('Junction always requires a wamp.2.* subprotocol.'),
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
});

/** Keys shared by a standalone websocket transport and a websocket path service. */
const websocketServiceShape = {
  serializers: z
    .array(serializer)
    .min(1, { error: 'needs at least one serializer' })
    .default([...serializerNames])
    .describe('WAMP serializers offered (default: all).'),
  options: websocketOptions.prefault({}),
  auth: authSchema.optional(),
  url: ignored('the advertised WebSocket URL (url)'),
  debug: ignored('Crossbar debug logging (debug; use --log-level)'),
  cookie: unsupported('cookie tracking'),
};

export const websocketService = z
  .strictObject({ type: z.literal('websocket'), id: itemId.optional(), ...websocketServiceShape })
  .describe('WAMP over WebSocket on this path.');

/** Path service types Crossbar offers (besides websocket), to tell "not yet" from a typo. */
const crossbarPathServices = new Set([
  'static',
  'wsgi',
  'resource',
  'redirect',
  'reverseproxy',
  'websocket-reverseproxy',
  'json',
  'cgi',
  'longpoll',
  'publisher',
  'caller',
  'webhook',
  'path',
  'upload',
  'nodeinfo',
  'archive',
  'fileupload',
  'wap',
  'rpc',
]);

export const pathService = z.discriminatedUnion('type', [websocketService], {
  error: typeError('path service', ['websocket'], (type) =>
    crossbarPathServices.has(type)
      ? notSupportedMessage(`the ${JSON.stringify(type)} path service`, 'supported: websocket')
      : undefined,
  ),
});

const webOptions = z.strictObject({
  access_log: ignored('the Twisted HTTP access log (access_log)'),
  display_tracebacks: ignored('Python tracebacks in error pages (display_tracebacks)'),
  client_timeout: ignored('the Twisted HTTP client timeout (client_timeout)'),
  hsts: z
    .literal(false, { error: notSupportedMessage('HSTS headers', 'set them in your reverse proxy') })
    .optional(),
  hsts_max_age: ignored('hsts_max_age without HSTS'),
});

export const websocketTransport = z
  .strictObject({
    type: z.literal('websocket'),
    id: itemId.optional(),
    endpoint,
    ...websocketServiceShape,
  })
  .describe('A listener that speaks only WAMP over WebSocket, on every path.');

export const webTransport = z
  .strictObject({
    type: z.literal('web'),
    id: itemId.optional(),
    endpoint,
    paths: z
      .record(
        z.string().regex(/^(\/|\/?[A-Za-z0-9_.~-]+(\/[A-Za-z0-9_.~-]+)*\/?)$/, {
          error: 'a path is "/" or names like "ws" or "api/v1/ws" (letters, digits, "_", ".", "~", "-")',
        }),
        pathService,
      )
      .describe('URL path -> service; "ws" and "/ws" mean the same.'),
    options: webOptions.optional(),
  })
  .describe('An HTTP server with services on URL paths.');

const otherCrossbarTransports = new Set([
  'rawsocket',
  'universal',
  'mqtt',
  'flashpolicy',
  'websocket.testee',
  'stream.testee',
]);

export const transportSchema = z.discriminatedUnion('type', [websocketTransport, webTransport], {
  error: typeError('transport', ['websocket', 'web'], (type) =>
    otherCrossbarTransports.has(type)
      ? notSupportedMessage(`${JSON.stringify(type)} transports`, 'supported: websocket, web')
      : undefined,
  ),
});

export type TransportFile = z.output<typeof transportSchema>;
export type WebSocketServiceFile = z.output<typeof websocketService>;
export type EndpointFile = z.output<typeof endpoint>;
