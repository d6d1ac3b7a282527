/**
 * WAMP over RawSocket (the WAMP spec's TCP transport) in Crossbar's format, as a transport of its
 * own or as the `rawsocket` part of a universal transport. Junction's limits sit in `options`
 * next to Crossbar's `max_message_size`.
 */

import * as z from 'zod';
import { authSchema } from './schema-auth.js';
import { ignored, itemId, maxPerAddress, milliseconds, positiveInt } from './schema-parts.js';
import { serializers } from './schema-websocket.js';

export const rawSocketDefaults = {
  maxMessageSize: 1048576,
  maxConnections: 10000,
  maxPerAddress: 1000,
  // Off: Autobahn|Python (Debian's 22.x) drops the connection on a RawSocket PING, and Crossbar never sends one.
  autoPingInterval: 0,
  autoPingTimeout: 10000,
  openHandshakeTimeout: 10000,
  maxBufferedBytes: 4194304,
};

/** The handshake announces a power of two from 2^9 to 2^24 bytes. */
const minMessageSize = 512;
const maxMessageSize = 16 * 1024 * 1024;
export const messageSize = z
  .int({ error: `expected a number of bytes from ${minMessageSize} to ${maxMessageSize}` })
  .min(minMessageSize, { error: `expected at least ${minMessageSize} bytes (the smallest length RawSocket can announce)` })
  .max(maxMessageSize, { error: `expected at most ${maxMessageSize} bytes (the largest length RawSocket can announce)` });

const rawSocketOptions = z.strictObject({
  // No .default(): the size may be given here or beside `serializers`; normalize applies the default to whichever is absent.
  max_message_size: messageSize
    .optional()
    .meta({ default: rawSocketDefaults.maxMessageSize })
    .describe('Largest message accepted, in bytes (announced as the handshake exponent that does not exceed it).'),
  max_connections: positiveInt
    .default(rawSocketDefaults.maxConnections)
    .describe(`Junction extension: connections at once; more are refused in the handshake (default ${rawSocketDefaults.maxConnections}).`),
  max_per_address: maxPerAddress('connections', rawSocketDefaults.maxPerAddress)
    .describe(`Junction extension: connections one client IP address may hold at once; more are refused in the handshake like max_connections (default ${rawSocketDefaults.maxPerAddress}; 0: no limit; Unix sockets have none).`),
  auto_ping_interval: milliseconds
    .default(rawSocketDefaults.autoPingInterval)
    .describe(`Junction extension: PING after this many ms of silence (default ${rawSocketDefaults.autoPingInterval}; 0 = never).`),
  auto_ping_timeout: milliseconds
    .default(rawSocketDefaults.autoPingTimeout)
    .describe(`Junction extension: close when a PONG does not come within this many ms (default ${rawSocketDefaults.autoPingTimeout}).`),
  open_handshake_timeout: positiveInt
    .default(rawSocketDefaults.openHandshakeTimeout)
    .describe(`Junction extension: the handshake and WAMP opening must finish within this many ms (default ${rawSocketDefaults.openHandshakeTimeout}).`),
  max_buffered_bytes: positiveInt
    .default(rawSocketDefaults.maxBufferedBytes)
    .describe(`Junction extension: bytes queued for one connection before its slow-consumer policy applies (default ${rawSocketDefaults.maxBufferedBytes}).`),
});

/** Keys of a rawsocket transport besides type, id and endpoint (also a universal transport's rawsocket part). */
export const rawSocketShape = {
  serializers,
  // Crossbar's documentation shows max_message_size beside serializers; its checker wants it in options.
  max_message_size: messageSize.optional().describe('Same as options.max_message_size (give one of them).'),
  options: rawSocketOptions.prefault({}),
  auth: authSchema.optional(),
  debug: ignored('Crossbar debug logging (debug; use --log-level)'),
};

/** A universal transport's `rawsocket` part: a rawsocket transport without its own endpoint. */
export const rawSocketPart = z
  .strictObject({ type: z.literal('rawsocket').optional(), id: itemId.optional(), ...rawSocketShape })
  .superRefine(oneMessageSize)
  .describe('RawSocket on this port: connections whose first byte is 0x7F.');

export function oneMessageSize(value: { max_message_size?: number | undefined; options: { max_message_size?: number | undefined } }, ctx: z.core.$RefinementCtx): void {
  if (value.max_message_size !== undefined && value.options.max_message_size !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'give max_message_size once: here or in options', path: ['max_message_size'], params: { code: 'config.conflict' } });
  }
}

export type RawSocketSettingsFile = z.output<typeof rawSocketPart>;
