/**
 * An MQTT transport in Crossbar's format: `options.realm`, `options.role`, `options.payload_mapping`
 * and `options.auth` as Crossbar reads them, a top-level `auth` as on Junction's other transports,
 * and Junction's limits beside them in `options`.
 */

import * as z from 'zod';
import { anonymousStatic, methodSchema, ticketStatic, tlsMethod } from './schema-auth.js';
import { endpointSchema } from './schema-endpoint.js';
import { itemId, maxPerAddress, nonNegativeInt, positiveInt, procedureUri, realmName, roleName, typeError } from './schema-parts.js';

/** Every default of an MQTT transport, in one place (the model, the docs' table and the code read these). */
export const mqttDefaults = {
  /** Largest MQTT packet accepted, bytes (announced in an MQTT 5 CONNACK). */
  maxPacketSize: 1048576,
  /** QoS 1/2 publications a client may have unacknowledged towards us (announced as Receive Maximum). */
  receiveMaximum: 100,
  /** QoS 1/2 messages we send a client before waiting for its acknowledgements. */
  maxInflight: 100,
  /** Payload bytes of those messages: past this we wait for acknowledgements too (one message alone goes whatever its size). */
  maxInflightBytes: 1048576,
  /** Messages waiting for a client (offline, or its in-flight window full); past this the oldest is dropped. */
  maxQueuedMessages: 1000,
  /** Payload bytes of those messages; past this the oldest are dropped too (a message alone may be larger). */
  maxQueuedBytes: 4194304,
  /** Payload bytes of the QoS 1/2 messages all of a transport's clients hold, queued and in flight; past it new ones are dropped. */
  maxTotalQueuedBytes: 268435456,
  /** Bytes of the wills a transport holds (its connections', and those waiting out a Will Delay), each counted as the CONNECT that carried it. */
  maxTotalWillBytes: 16777216,
  /** Events for a client's No Local subscriptions held while the router weighs its publication; past it the oldest go on unchecked. */
  maxNoLocalHeld: 1000,
  /** Their payload bytes (estimated); past this the oldest go on unchecked too (one event alone is held whatever its size). */
  maxNoLocalHeldBytes: 1048576,
  /** Topic filters one client may hold. */
  maxSubscriptions: 100,
  maxConnections: 10000,
  maxPerAddress: 1000,
  /** Client sessions kept at once, connected or persistent and offline. */
  maxSessions: 10000,
  /** New connections accepted per second on the listener (a token bucket of this rate, burst twice). */
  connectionRate: 100,
  /** The longest a persistent session is kept offline, seconds (MQTT 3.1.1 asks for no limit: this is ours). */
  maxSessionExpiry: 86400,
  /** CONNECT must arrive within this many ms of the connection opening. */
  openHandshakeTimeout: 10000,
  /** Bytes waiting to be written to one connection before it is dropped (slow-consumer policy). */
  maxBufferedBytes: 4194304,
  /** A dynamic payload mapping's encoder or decoder not answering within this many ms fails (the message is refused or dropped). */
  codecTimeout: 5000,
  /** Publications of one connection waiting on a decoder, or events for one client waiting on an encoder, in order. */
  maxCodecCallsPerConnection: 100,
  /** Encoder and decoder calls in flight for the whole transport. */
  maxCodecCalls: 1000,
} as const;

/** MQTT's own ceiling for a packet: a remaining length of at most 268435455 bytes. */
const mqttPacketCeiling = 268435455;

const serializerName = z.enum(['json', 'msgpack', 'cbor'], { error: 'expected "json", "msgpack" or "cbor"' });

const payloadTypes = ['native', 'passthrough', 'json', 'dynamic'];

const payloadFormat = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('native'),
      serializer: serializerName.default('json').describe('How {"args": [...], "kwargs": {...}} is written in the MQTT payload.'),
    }),
    z.strictObject({ type: z.literal('passthrough') }).describe('The MQTT payload travels as one binary argument, untouched.'),
    z.strictObject({ type: z.literal('json') }).describe('Junction extension: a plain JSON payload is the single argument.'),
    z.strictObject({
      type: z.literal('dynamic'),
      encoder: procedureUri.describe('Called with (MQTT topic, WAMP topic, args, kwargs) for each event to MQTT; returns the payload (bytes, or a string sent as UTF-8).'),
      decoder: procedureUri.describe('Called with (WAMP topic, MQTT topic, payload bytes) for each MQTT publication; returns {"args": [...], "kwargs": {...}}.'),
      realm: realmName.optional().describe('The realm the encoder and decoder are registered in (default: the transport\'s realm).'),
    }).describe('WAMP procedures encode and decode the payloads; the router calls them as its own trusted session.'),
  ],
  { error: typeError('payload mapping', payloadTypes, () => undefined) },
);

/** MQTT clients sign in with a username and password (ticket), a TLS client certificate (tls) or neither (anonymous): nothing else can be answered. */
function notForMqtt(method: string) {
  return z
    .never({ error: `an MQTT transport offers anonymous, ticket and tls authentication only (an MQTT client cannot answer a ${method} challenge)` })
    .optional();
}

/** The auth of an MQTT door. */
export const mqttAuthSchema = z
  .strictObject({
    anonymous: methodSchema('anonymous', anonymousStatic).optional(),
    ticket: methodSchema('ticket', ticketStatic).optional().describe('Username and password of the CONNECT, checked as authid and ticket.'),
    tls: tlsMethod,
    wampcra: notForMqtt('wampcra'),
    cryptosign: notForMqtt('cryptosign'),
    cookie: notForMqtt('cookie'),
    scram: notForMqtt('scram'),
  })
  .superRefine((auth, ctx) => {
    if (auth.anonymous === undefined && auth.ticket === undefined && auth.tls === undefined) {
      ctx.addIssue({ code: 'custom', message: 'enables no authentication method, so no client could connect; add anonymous, ticket or tls' });
    }
  })
  .describe('Who may connect: anonymous with a role, username + password as a ticket, and/or a TLS client certificate (default: anonymous with options.role).');

const mqttOptions = z.strictObject({
  realm: realmName.describe('The realm every MQTT client joins.'),
  role: roleName.optional().describe('Role of anonymous clients when no auth is given (default "anonymous").'),
  payload_mapping: z
    .record(z.string(), payloadFormat)
    .optional()
    .describe('WAMP URI prefix -> payload format; the longest prefix of a topic wins (default {"": {"type": "native", "serializer": "json"}}).'),
  auth: mqttAuthSchema.optional().describe('Where Crossbar reads an MQTT transport\'s authentication (same as the top-level auth; give one).'),
  max_packet_size: z
    .int({ error: 'expected a number of bytes' })
    .min(64, { error: 'expected at least 64 bytes' })
    .max(mqttPacketCeiling, { error: `expected at most ${mqttPacketCeiling} bytes (MQTT's largest packet)` })
    .default(mqttDefaults.maxPacketSize)
    .describe(`Junction extension: largest packet accepted, bytes; announced in MQTT 5 CONNACK (default ${mqttDefaults.maxPacketSize}).`),
  receive_maximum: positiveInt
    .max(65535, { error: 'expected at most 65535 (MQTT\'s receive maximum)' })
    .default(mqttDefaults.receiveMaximum)
    .describe(`Junction extension: QoS 1/2 publications a client may have unacknowledged towards the router (default ${mqttDefaults.receiveMaximum}).`),
  max_inflight: positiveInt
    .max(65535, { error: 'expected at most 65535' })
    .default(mqttDefaults.maxInflight)
    .describe(`Junction extension: QoS 1/2 messages sent to a client and not yet acknowledged (default ${mqttDefaults.maxInflight}).`),
  max_inflight_bytes: positiveInt
    .default(mqttDefaults.maxInflightBytes)
    .describe(`Junction extension: payload bytes of the QoS 1/2 messages sent to a client and not yet acknowledged; more wait in its queue until acknowledgements free room, though one message alone is sent whatever its size (default ${mqttDefaults.maxInflightBytes}).`),
  max_queued_messages: nonNegativeInt
    .default(mqttDefaults.maxQueuedMessages)
    .describe(`Junction extension: messages waiting for one client (offline or its window full); the oldest is dropped past this (default ${mqttDefaults.maxQueuedMessages}).`),
  max_queued_bytes: nonNegativeInt
    .default(mqttDefaults.maxQueuedBytes)
    .describe(`Junction extension: payload bytes of the messages waiting for one client; the oldest are dropped past this, though one message alone is kept whatever its size (default ${mqttDefaults.maxQueuedBytes}).`),
  max_total_queued_bytes: positiveInt
    .default(mqttDefaults.maxTotalQueuedBytes)
    .describe(`Junction extension: payload bytes of the QoS 1/2 messages queued for and in flight to all of this transport's clients together (a payload several clients hold counted once); past it a new message for a client is dropped, counted and warned (default ${mqttDefaults.maxTotalQueuedBytes}).`),
  max_total_will_bytes: positiveInt
    .default(mqttDefaults.maxTotalWillBytes)
    .describe(`Junction extension: bytes of the wills held for all of this transport's clients (each counted as the CONNECT that carried it); a CONNECT whose will does not fit is refused, CONNACK 0x97 (MQTT 5) / 3 (default ${mqttDefaults.maxTotalWillBytes}).`),
  max_no_local_held: positiveInt
    .default(mqttDefaults.maxNoLocalHeld)
    .describe(`Junction extension: events for one client's No Local subscriptions held while the router has not answered its publication (they may be its own); past it the oldest is sent unchecked, counted and warned (default ${mqttDefaults.maxNoLocalHeld}).`),
  max_no_local_held_bytes: positiveInt
    .default(mqttDefaults.maxNoLocalHeldBytes)
    .describe(`Junction extension: payload bytes (estimated) of those events; past it the oldest are sent unchecked, though one event alone is held whatever its size (default ${mqttDefaults.maxNoLocalHeldBytes}).`),
  max_subscriptions: positiveInt
    .default(mqttDefaults.maxSubscriptions)
    .describe(`Junction extension: topic filters one client may hold (default ${mqttDefaults.maxSubscriptions}).`),
  max_connections: positiveInt
    .default(mqttDefaults.maxConnections)
    .describe(`Junction extension: connections at once (default ${mqttDefaults.maxConnections}).`),
  max_per_address: maxPerAddress('connections', mqttDefaults.maxPerAddress),
  max_sessions: positiveInt
    .default(mqttDefaults.maxSessions)
    .describe(`Junction extension: client sessions kept, connected or persistent offline (default ${mqttDefaults.maxSessions}).`),
  connection_rate: positiveInt
    .default(mqttDefaults.connectionRate)
    .describe(`Junction extension: new connections accepted per second, bursts of twice that (default ${mqttDefaults.connectionRate}).`),
  max_session_expiry: nonNegativeInt
    .default(mqttDefaults.maxSessionExpiry)
    .describe(`Junction extension: seconds a persistent session is kept offline at most (default ${mqttDefaults.maxSessionExpiry}).`),
  open_handshake_timeout: positiveInt
    .default(mqttDefaults.openHandshakeTimeout)
    .describe(`Junction extension: ms within which CONNECT must arrive (default ${mqttDefaults.openHandshakeTimeout}).`),
  max_buffered_bytes: positiveInt
    .default(mqttDefaults.maxBufferedBytes)
    .describe(`Junction extension: bytes queued for one connection before it is dropped (default ${mqttDefaults.maxBufferedBytes}).`),
  codec_timeout: positiveInt
    .default(mqttDefaults.codecTimeout)
    .describe(`Junction extension: ms a dynamic payload mapping's encoder or decoder has to answer (default ${mqttDefaults.codecTimeout}).`),
  max_codec_calls_per_connection: positiveInt
    .default(mqttDefaults.maxCodecCallsPerConnection)
    .describe(`Junction extension: publications of one connection waiting on a decoder, and events for one client waiting on an encoder; past it a publication is refused (quota exceeded) and an event dropped, both counted (default ${mqttDefaults.maxCodecCallsPerConnection}).`),
  max_codec_calls: positiveInt
    .default(mqttDefaults.maxCodecCalls)
    .describe(`Junction extension: encoder and decoder calls in flight for the whole transport; past it the same (default ${mqttDefaults.maxCodecCalls}).`),
});

/** One auth, given in one place; `role` only without auth: nothing the file says is ignored. */
function authOnce(transport: { auth?: unknown; options: { auth?: unknown; role?: string | undefined } }, ctx: z.core.$RefinementCtx): void {
  if (transport.auth !== undefined && transport.options.auth !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'give auth once: here or in options.auth', path: ['auth'] });
  }
  if ((transport.auth ?? transport.options.auth) !== undefined && transport.options.role !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['options', 'role'],
      message: 'options.role is the role of anonymous clients when no auth is given; with auth, set it as auth.anonymous.role',
    });
  }
}

export const mqttTransport = z
  .strictObject({
    type: z.literal('mqtt'),
    id: itemId.optional(),
    endpoint: endpointSchema,
    options: mqttOptions,
    auth: mqttAuthSchema.optional().describe('Same as options.auth (give one of them).'),
  })
  .superRefine(authOnce)
  .describe('MQTT 3.1.1 and 5.0 clients on one realm, as ordinary sessions of it (Crossbar\'s MQTT transport).');

/** A universal transport's `mqtt` part: an mqtt transport without its own endpoint. */
export const mqttPart = z
  .strictObject({
    type: z.literal('mqtt').optional(),
    id: itemId.optional(),
    options: mqttOptions,
    auth: mqttAuthSchema.optional().describe('Same as options.auth (give one of them).'),
  })
  .superRefine(authOnce)
  .describe('MQTT on this port: connections whose first byte is 0x10 (an MQTT CONNECT).');

export const mqttPathService = z
  .strictObject({
    type: z.literal('mqtt'),
    id: itemId.optional(),
    options: mqttOptions.extend({ auth: mqttAuthSchema.optional().describe('Where Crossbar reads an MQTT transport\'s authentication (same as the top-level auth; give one).') }),
    auth: mqttAuthSchema.optional().describe('Same as options.auth (give one of them).'),
  })
  .superRefine(authOnce)
  .describe('Junction extension: MQTT over WebSocket (subprotocol "mqtt") on this path, for browser MQTT clients; the options of an mqtt transport.');

export type MqttTransportFile = z.output<typeof mqttTransport>;
export type MqttPathServiceFile = z.output<typeof mqttPathService>;
export type MqttPartFile = z.output<typeof mqttPart>;
export type MqttAuthFile = z.output<typeof mqttAuthSchema>;
