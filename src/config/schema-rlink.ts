/**
 * A realm's router-to-router links (`rlinks`) in Crossbar's format (crossbar/worker/rlink.py's
 * RLinkConfig and checkconfig's connecting transports), with Crossbar's defaults: every
 * `forward_*` on, no excluded authids, the node key for cryptosign.
 */

import * as z from 'zod';
import { connectingTls } from './schema-connecting-tls.js';
import { ignored, nonEmptyString, nonNegativeInt, port, positiveInt, realmName, typeError } from './schema-parts.js';
import { messageSize } from './schema-rawsocket.js';
import { serializerNames, serializers, websocketDefaults } from './schema-websocket.js';

const connectingTcp = z
  .strictObject({
    type: z.literal('tcp'),
    host: nonEmptyString.describe('Host name or address of the other router.'),
    port: port.refine((value) => value > 0, { error: 'expected a port from 1 to 65535' }),
    version: z
      .union([z.literal(4), z.literal(6)], { error: 'expected 4 or 6' })
      .optional()
      .describe('IP version to resolve the host with (default: either).'),
    timeout: positiveInt.default(10).describe('Seconds a connection attempt may take (default 10, as Crossbar).'),
    tls: connectingTls.optional(),
  })
  .describe('Connect over TCP.');

const connectingUnix = z
  .strictObject({
    type: z.literal('unix'),
    path: nonEmptyString.describe('Socket file of the other router (relative paths: from the config file folder).'),
    timeout: positiveInt.default(10).describe('Seconds a connection attempt may take (default 10).'),
  })
  .describe('Connect over a Unix domain socket.');

const connectingEndpoint = z.discriminatedUnion('type', [connectingTcp, connectingUnix], {
  error: typeError('connecting endpoint', ['tcp', 'unix'], () => undefined),
});

const websocketLink = z
  .strictObject({
    type: z.literal('websocket'),
    id: ignored("a connecting transport's id (id)"),
    endpoint: connectingEndpoint,
    url: z
      .string()
      .regex(/^wss?:\/\/[^/?#]+(\/[^#]*)?$/i, { error: 'expected a ws:// or wss:// URL (the WebSocket path of the other router)' })
      .describe('WebSocket URL: its host goes in the Host header, its path is requested; the connection goes to "endpoint" (TLS with its "tls").'),
    serializers,
    options: ignored('WebSocket client options on a router link (options)'),
  })
  // Crossbar would connect without TLS: the URL names only the Host header and path.
  .refine((link) => !/^wss:/i.test(link.url) || (link.endpoint.type === 'tcp' && link.endpoint.tls !== undefined), {
    path: ['endpoint'],
    error: 'a wss:// URL needs the endpoint\'s "tls" (the connection goes to the endpoint; without "tls" it would not be encrypted)',
    params: { code: 'config.conflict' },
  })
  .describe('WAMP over WebSocket.');

const rawsocketLink = z
  .strictObject({
    type: z.literal('rawsocket'),
    id: ignored("a connecting transport's id (id)"),
    endpoint: connectingEndpoint,
    serializer: z.enum(serializerNames, { error: `expected one of ${serializerNames.map((name) => JSON.stringify(name)).join(', ')}` }),
    url: z.string().regex(/^rs(s)?:\/\//i, { error: 'expected an rs:// URL' }).optional().describe('Informative only: the connection goes to "endpoint" (as Crossbar).'),
    options: ignored('RawSocket client options on a router link (options)'),
    debug: ignored('RawSocket debugging (debug)'),
  })
  .describe('WAMP over RawSocket.');

const connectingTransport = z.discriminatedUnion('type', [websocketLink, rawsocketLink], {
  error: typeError('connecting transport', ['websocket', 'rawsocket'], () => undefined),
});

/** Junction's bounds on what one link holds (a Junction extension; 0 = no limit). */
export const rlinkLimitDefaults = {
  maxCallsInFlight: 1000, maxCallBytesInFlight: 16 * 1024 * 1024, maxEventsInFlight: 1000, maxEventBytesInFlight: 16 * 1024 * 1024,
  maxSubscriptions: 10000, maxRegistrations: 10000, maxMessageSize: websocketDefaults.maxMessageSize, maxBufferedBytes: 64 * 1024 * 1024,
};

const limits = z
  .strictObject({
    max_calls_in_flight: nonNegativeInt
      .default(rlinkLimitDefaults.maxCallsInFlight)
      .describe(`Calls the link forwards at once, both ways together; past it a call fails with junction.error.limit_exceeded (default ${rlinkLimitDefaults.maxCallsInFlight}).`),
    max_call_bytes_in_flight: nonNegativeInt
      .default(rlinkLimitDefaults.maxCallBytesInFlight)
      .describe(`Bytes (estimated) of the procedures and arguments of the calls the link forwards at once, both ways together; past it a call fails with junction.error.limit_exceeded; one call alone goes whatever its size (default ${rlinkLimitDefaults.maxCallBytesInFlight}).`),
    max_events_in_flight: nonNegativeInt
      .default(rlinkLimitDefaults.maxEventsInFlight)
      .describe(`Events the link has published and the router it published on has not acknowledged yet, both ways together; past it an event is not forwarded (counted, warned) (default ${rlinkLimitDefaults.maxEventsInFlight}).`),
    max_event_bytes_in_flight: nonNegativeInt
      .default(rlinkLimitDefaults.maxEventBytesInFlight)
      .describe(`Bytes (estimated) of the topics and payloads of those events; past it an event is not forwarded (counted, warned); one event alone goes whatever its size (default ${rlinkLimitDefaults.maxEventBytesInFlight}).`),
    max_subscriptions: nonNegativeInt
      .default(rlinkLimitDefaults.maxSubscriptions)
      .describe(`Subscriptions the link mirrors, both ways together; past it more are not mirrored (logged, counted) (default ${rlinkLimitDefaults.maxSubscriptions}).`),
    max_registrations: nonNegativeInt
      .default(rlinkLimitDefaults.maxRegistrations)
      .describe(`Registrations the link mirrors, both ways together; past it more are not mirrored (logged, counted) (default ${rlinkLimitDefaults.maxRegistrations}).`),
    max_message_size: messageSize
      .default(rlinkLimitDefaults.maxMessageSize)
      .describe(`Largest message taken from the other router, bytes; a larger one closes the link's connection, which connects again (default ${rlinkLimitDefaults.maxMessageSize}, as our transports).`),
    max_buffered_bytes: nonNegativeInt
      .default(rlinkLimitDefaults.maxBufferedBytes)
      .describe(`Bytes waiting to be sent to the other router (it does not read them); past it the link's connection is closed, warned, and it connects again (default ${rlinkLimitDefaults.maxBufferedBytes}).`),
  })
  .describe('Bounds on one link (a Junction extension).');

/** How the link signs in when not with the node key (a Junction extension): one method, with the link's authid. */
const linkAuth = z
  .strictObject({
    ticket: z.strictObject({ ticket: nonEmptyString.describe('The ticket (write "${ENV}" to keep it out of the file).') }).optional(),
    wampcra: z.strictObject({ secret: nonEmptyString.describe('The WAMP-CRA secret (salted challenges derive the key as AutobahnJS does).') }).optional(),
    scram: z.strictObject({ password: nonEmptyString.describe('The WAMP-SCRAM password.') }).optional(),
  })
  .refine((auth) => Object.values(auth).filter((method) => method !== undefined).length === 1, { error: 'expected exactly one of "ticket", "wampcra", "scram"' })
  .describe('Sign in with a ticket, WAMP-CRA or WAMP-SCRAM and the link\'s "authid" instead of cryptosign with the node key (a Junction extension).');

export const rlinkSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'expected 1 to 64 letters, digits, "_" or "-"' }).optional()
      .describe('Link name in logs and metrics (default rlinkNNN, numbered in the realm).'),
    realm: realmName.describe('The realm to join on the other router.'),
    transport: connectingTransport,
    authid: nonEmptyString.optional().describe('authid asked for on the other router (cryptosign with the node key).'),
    exclude_authid: z.array(z.string()).default([]).describe('Events the link publishes on the other router are not sent to sessions with these authids.'),
    forward_local_events: z.boolean().default(true).describe("Subscriptions made here are mirrored there: events published there reach this router's subscribers."),
    forward_remote_events: z.boolean().default(true).describe("Subscriptions made there are mirrored here: events published here reach the other router's subscribers."),
    forward_local_invocations: z.boolean().default(true).describe('Registrations made here are mirrored there: callers there reach callees here.'),
    forward_remote_invocations: z.boolean().default(true).describe('Registrations made there are mirrored here: callers here reach callees there.'),
    auth: linkAuth.optional(),
    limits: limits.prefault({}),
  })
  .refine((link) => link.auth === undefined || link.authid !== undefined, { path: ['authid'], error: 'a link that signs in with "auth" needs its "authid"' })
  .describe("A router-to-router link: a session to the same realm of another router, forwarding events and calls both ways.");

export const rlinksSchema = z.array(rlinkSchema).default([]).superRefine((links, ctx) => {
  const seen = new Set<string>();
  links.forEach((link, index) => {
    const id = link.id ?? rlinkDefaultId(index);
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `two router links of this realm are named "${id}"` });
    seen.add(id);
  });
});

/** Crossbar's name of a link without an id: its place in the realm's list. */
export function rlinkDefaultId(index: number): string {
  return `rlink${String(index).padStart(3, '0')}`;
}

export type RlinkFile = z.output<typeof rlinkSchema>;
