/**
 * The keys of Crossbar's proxy worker (`"type": "proxy"`) beside its transports: `routes` (which
 * realm and role a client of the proxy may reach, over which connection) and `connections` (how
 * the proxy reaches a router worker). Junction serves a proxy worker inside its one router, so a
 * connection is never opened: it must name a transport of this node's router workers
 * (semantics-proxy.ts checks that).
 */

import * as z from 'zod';
import { nonEmptyString, port, realmName, roleName, typeError } from './schema-parts.js';

const connectionName = nonEmptyString.describe('A connection of this proxy worker ("connections").');

/** Crossbar reads a single connection name or a list of them (older files have the single name). */
const routeTarget = z.union([connectionName, z.array(connectionName).min(1, { error: 'expected at least one connection name' })], {
  error: 'expected a connection name or a list of connection names',
});

export const proxyRoutes = z
  .record(realmName, z.record(roleName, routeTarget))
  .default({})
  .describe('realm -> role -> connection(s): a client of this proxy may join only a realm listed here, under a role listed for it.');

const tcpTarget = z.strictObject({
  type: z.literal('tcp'),
  host: nonEmptyString.describe('Host of the router transport: this node (localhost, a loopback address, or the address the router transport listens on).'),
  port,
  version: z.union([z.literal(4), z.literal(6)], { error: 'expected 4 or 6' }).optional(),
  timeout: z.unknown().optional().describe('Not used: the connection is not opened.'),
  tls: z.unknown().optional().describe('Not used: the connection is not opened.'),
});

const unixTarget = z.strictObject({
  type: z.literal('unix'),
  path: nonEmptyString.describe('Socket file of the router transport (relative paths: from the config file folder).'),
  timeout: z.unknown().optional().describe('Not used: the connection is not opened.'),
});

const targetEndpoint = z.discriminatedUnion('type', [tcpTarget, unixTarget], {
  error: typeError('connection endpoint', ['tcp', 'unix'], () => undefined),
});

const notOpened = (what: string) => z.unknown().optional().describe(`Not used: ${what} of a connection that Junction does not open.`);

const proxyConnection = z.strictObject({
  transport: z.strictObject({
    type: z.enum(['rawsocket', 'websocket'], { error: 'expected "rawsocket" or "websocket"' }),
    endpoint: targetEndpoint,
    url: notOpened('the URL'),
    serializer: notOpened('the serializer'),
    serializers: notOpened('the serializers'),
    options: notOpened('the options'),
  }),
  // Crossbar signs the proxy's sessions in with these; in-process there is nothing to sign in.
  auth: z
    .strictObject({ 'anonymous-proxy': z.unknown().optional(), 'cryptosign-proxy': z.unknown().optional() })
    .optional()
    .describe('Not used: how Crossbar\'s proxy signs in to the router ("anonymous-proxy" or "cryptosign-proxy").'),
});

export const proxyConnections = z
  .record(nonEmptyString, proxyConnection)
  .default({})
  .describe('name -> the router transport this proxy hands its clients to: one of this node\'s router transports (Junction serves the proxy inside the router).');

export type ProxyRoutesFile = z.output<typeof proxyRoutes>;
