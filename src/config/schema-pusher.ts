/**
 * Junction extension: a `pusher` transport that speaks the Pusher Channels protocol (version 7)
 * and its HTTP API on its own port, each app a door onto a realm (docs/pusher.md).
 */

import * as z from 'zod';
import { endpointSchema } from './schema-endpoint.js';
import { byteCount, httpUrl, itemId, maxPerAddress, milliseconds, nonEmptyString, positiveInt, realmName, roleName, seconds, trustedProxies } from './schema-parts.js';

export const pusherDefaults = {
  activityTimeoutS: 120,
  pongTimeoutMs: 30_000,
  maxEventSize: 10_240,
  maxMessageSize: 65_536,
  maxChannelsPerConnection: 100,
  maxUserIdLength: 128,
  maxUserInfoSize: 1_024,
  maxPresenceMembers: 100,
  clientEventsPerSecond: 10,
  maxConnections: 10_000,
  maxPerAddress: 1_000,
  maxBufferedBytes: 4_194_304,
  maxApiRequestsInFlight: 1_000,
};

export const pusherWebhookEvents = ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event'] as const;

/** App ids and keys appear in URL paths: nothing that needs escaping. */
const urlToken = (what: string) =>
  z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: `${what} has 1 to 64 letters, digits, "_" or "-"` });

const webhook = z
  .strictObject({
    url: httpUrl('a webhook url'),
    events: z
      .array(z.enum(pusherWebhookEvents, { error: `expected one of ${pusherWebhookEvents.join(', ')}` }))
      .min(1, { error: 'name at least one event' })
      .describe(`Which events to send: ${pusherWebhookEvents.join(', ')}.`),
  })
  .describe('A URL that receives the app\'s webhooks, signed with X-Pusher-Key and X-Pusher-Signature, through a durable outbox.');

const pusherApp = z
  .strictObject({
    id: urlToken('an app id').describe('The app id of the HTTP API path /apps/{id}/... (PUSHER_APP_ID).'),
    key: urlToken('an app key').describe('The key clients connect with at /app/{key} (PUSHER_APP_KEY).'),
    secret: nonEmptyString.describe('Signs subscriptions and API requests (PUSHER_APP_SECRET); "${ENV}" keeps it out of the file. Never logged.'),
    realm: realmName.describe('The realm every connection of this app joins.'),
    role: roleName.describe('The role of its sessions: must be allowed to subscribe and publish on the mapped topics.'),
    client_events: z.boolean().default(false).describe('Allow client-* events on private and presence channels (default false).'),
    topic_prefix: z.string().default('').describe('Channel C is topic topic_prefix + C (default "").'),
    webhooks: z.array(webhook).default([]),
  })
  .describe('One Pusher app: its credentials and the realm it is a door onto.');

const pusherOptions = z.strictObject({
  activity_timeout: seconds(3600)
    .min(1, { error: 'expected at least 1 second' })
    .default(pusherDefaults.activityTimeoutS)
    .describe(`Seconds of silence before the server pings a client, told to clients in connection_established (default ${pusherDefaults.activityTimeoutS}).`),
  pong_timeout: milliseconds
    .min(1, { error: 'expected at least 1 ms' })
    .default(pusherDefaults.pongTimeoutMs)
    .describe(`Ms to wait for the pong before closing with 4201 (default ${pusherDefaults.pongTimeoutMs}).`),
  max_event_size: byteCount(1_048_576)
    .default(pusherDefaults.maxEventSize)
    .describe(`Bytes of one event's data, from clients and the HTTP API (default ${pusherDefaults.maxEventSize}, Pusher's).`),
  max_message_size: byteCount(16_777_216)
    .default(pusherDefaults.maxMessageSize)
    .describe(`Bytes of one WebSocket message; larger closes with 1009 (default ${pusherDefaults.maxMessageSize}).`),
  max_channels_per_connection: positiveInt
    .default(pusherDefaults.maxChannelsPerConnection)
    .describe(`Channels one connection may hold (default ${pusherDefaults.maxChannelsPerConnection}).`),
  max_user_id_length: positiveInt
    .default(pusherDefaults.maxUserIdLength)
    .describe(`Characters of a presence member's user_id and of the id a connection signs in with (pusher:signin) (default ${pusherDefaults.maxUserIdLength}, Pusher's).`),
  max_user_info_size: positiveInt
    .default(pusherDefaults.maxUserInfoSize)
    .describe(`Bytes of a presence member's user_info, as JSON (default ${pusherDefaults.maxUserInfoSize}, Pusher's).`),
  max_presence_members: positiveInt
    .default(pusherDefaults.maxPresenceMembers)
    .describe(`Members (distinct user_ids) of one presence channel, across the cluster (default ${pusherDefaults.maxPresenceMembers}, Pusher's).`),
  client_events_per_second: positiveInt
    .default(pusherDefaults.clientEventsPerSecond)
    .describe(`Client events per second per connection, also the burst (default ${pusherDefaults.clientEventsPerSecond}, Pusher's).`),
  max_connections: positiveInt
    .default(pusherDefaults.maxConnections)
    .describe(`Connections at once on this transport; more are closed with 4100 (default ${pusherDefaults.maxConnections}).`),
  max_per_address: maxPerAddress('connections', pusherDefaults.maxPerAddress),
  max_buffered_bytes: positiveInt
    .default(pusherDefaults.maxBufferedBytes)
    .describe(`Bytes waiting to be written to one connection before it is closed as a slow consumer (default ${pusherDefaults.maxBufferedBytes}).`),
  max_api_requests_in_flight: positiveInt
    .default(pusherDefaults.maxApiRequestsInFlight)
    .describe(`HTTP API requests handled at once (reading the body, waiting for the router); more are answered 503 with Retry-After (default ${pusherDefaults.maxApiRequestsInFlight}).`),
  trusted_proxies: trustedProxies,
});

export const pusherTransport = z
  .strictObject({
    type: z.literal('pusher'),
    id: itemId.optional(),
    endpoint: endpointSchema,
    apps: z.array(pusherApp).min(1, { error: 'a pusher transport needs at least one app' }),
    options: pusherOptions.prefault({}),
  })
  .describe('Junction extension: the Pusher Channels protocol 7 at /app/{key} and its HTTP API at /apps/{id}/ (docs/pusher.md).');

export type PusherTransportFile = z.output<typeof pusherTransport>;
