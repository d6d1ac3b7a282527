/**
 * Router transports in Crossbar's format: a standalone `websocket` transport, a `web` transport
 * whose `paths` map URL paths to services, a `rawsocket` transport (TCP or Unix socket), and a
 * `universal` transport that serves RawSocket, WebSocket and web paths on one port.
 */

import * as z from 'zod';
import { endpointSchema } from './schema-endpoint.js';
import { flashPolicyTransport } from './schema-flashpolicy.js';
import { itemId, typeError } from './schema-parts.js';
import { mqttPart, mqttTransport } from './schema-mqtt.js';
import { oneMessageSize, rawSocketPart, rawSocketShape } from './schema-rawsocket.js';
import { pathKey, pathTable, webOptions } from './schema-web-services.js';
import { pusherTransport } from './schema-pusher.js';
import { streamTesteeTransport, testeeRouterTransport } from './schema-testee.js';
import { websocketChecks, websocketTransportShape } from './schema-websocket.js';

export { serializerNames } from './schema-websocket.js';

export const websocketTransport = z
  .strictObject({
    type: z.literal('websocket'),
    id: itemId.optional(),
    endpoint: endpointSchema,
    ...websocketTransportShape,
  })
  .superRefine(websocketChecks)
  .describe('A listener that speaks only WAMP over WebSocket, on every path.');

export const webTransport = z
  .strictObject({
    type: z.literal('web'),
    id: itemId.optional(),
    endpoint: endpointSchema,
    paths: pathTable,
    options: webOptions.optional(),
  })
  .describe('An HTTP server with services on URL paths.');

export const rawsocketTransport = z
  .strictObject({
    type: z.literal('rawsocket'),
    id: itemId.optional(),
    endpoint: endpointSchema,
    ...rawSocketShape,
  })
  .superRefine(oneMessageSize)
  .describe('WAMP over RawSocket on a TCP port or a Unix socket (services and devices; not browsers).');

/** A universal transport's websocket part: a websocket transport without its own endpoint. */
const universalWebsocketPart = z.strictObject({
  type: z.literal('websocket').optional(),
  id: itemId.optional(),
  ...websocketTransportShape,
}).superRefine(websocketChecks);

export const universalTransport = z
  .strictObject({
    type: z.literal('universal'),
    id: itemId.optional(),
    endpoint: endpointSchema,
    rawsocket: rawSocketPart.optional(),
    websocket: z
      .record(pathKey, universalWebsocketPart)
      .optional()
      .describe('URL path -> WebSocket settings, as a websocket transport without an endpoint.'),
    web: z
      .strictObject({ paths: pathTable.default({}), options: webOptions.optional() })
      .optional()
      .describe('Web paths, as a web transport without an endpoint.'),
    mqtt: mqttPart.optional(),
  })
  .describe('One port for RawSocket (first byte 0x7F), MQTT (first byte 0x10), WebSocket and web paths (Crossbar\'s universal transport).');

const transportTypes = ['websocket', 'web', 'rawsocket', 'universal', 'pusher', 'mqtt', 'flashpolicy', 'websocket.testee', 'stream.testee'];

export const transportSchema = z.discriminatedUnion('type', [
  websocketTransport, webTransport, rawsocketTransport, universalTransport, pusherTransport, mqttTransport, flashPolicyTransport, testeeRouterTransport,
  streamTesteeTransport,
], {
  error: typeError('transport', transportTypes, () => undefined),
});

export type TransportFile = z.output<typeof transportSchema>;
export type WebSocketTransportFile = z.output<typeof websocketTransport>;
export type UniversalTransportFile = z.output<typeof universalTransport>;
export type { EndpointFile } from './schema-endpoint.js';
export type { WebSocketServiceFile } from './schema-websocket.js';
