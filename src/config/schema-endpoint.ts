/**
 * Listening endpoints in Crossbar's format: `tcp` (with optional TLS) or `unix` (a Unix domain
 * socket), for every transport type. Every key here is honoured by every transport type (see
 * node/socket-server.ts).
 */

import * as z from 'zod';
import { ignored, nonEmptyString, notSupportedMessage, port, positiveInt, typeError, unsupported } from './schema-parts.js';

const tls = z
  .strictObject({
    key: nonEmptyString.describe('PEM private key file (relative paths: from the config file folder).'),
    certificate: nonEmptyString.describe('PEM certificate file.'),
    chain_certificates: z.array(nonEmptyString).default([]).describe('PEM intermediate certificate files.'),
    ciphers: nonEmptyString.optional().describe('OpenSSL cipher list.'),
    dhparam: nonEmptyString.optional().describe('PEM Diffie-Hellman parameters file.'),
    ca_certificates: z
      .array(nonEmptyString)
      .min(1, { error: 'expected at least one PEM file' })
      .optional()
      .describe('PEM files of the certificate authorities whose client certificates are accepted: clients are asked for a certificate, which the endpoint\'s tls authentication reads.'),
  })
  .describe('Serve TLS (https / wss) on this endpoint.');

const backlog = positiveInt.max(65535, { error: 'expected a backlog from 1 to 65535' }).optional();

const tcpEndpoint = z
  .strictObject({
    type: z.literal('tcp'),
    port,
    interface: nonEmptyString
      .optional()
      .describe('Address to listen on (default: all interfaces of the IP version, as Crossbar).'),
    version: z
      .union([z.literal(4), z.literal(6)], { error: 'expected 4 or 6' })
      .default(4)
      .describe('IP version when no interface is given.'),
    backlog,
    tls: tls.optional(),
    portrange: unsupported('port ranges', 'give a single "port"'),
    shared: z
      .boolean()
      .optional()
      .describe('Crossbar: several worker processes open this port. Router or proxy workers whose transports on it are the same are served by one listener; the processes of --workers share every port anyway.'),
    user_timeout: ignored('the TCP user timeout (user_timeout)'),
  })
  .describe('Listen on a TCP port.');

/** Linux keeps a Unix socket path in 108 bytes including the terminating NUL. */
const maxUnixPathBytes = 107;

const unixEndpoint = z
  .strictObject({
    type: z.literal('unix'),
    path: nonEmptyString
      .refine((path) => Buffer.byteLength(path) <= maxUnixPathBytes, {
        error: `a Unix socket path has at most ${maxUnixPathBytes} bytes; use a shorter (absolute) path`,
      })
      .describe('Socket file (relative paths: from the config file folder). A stale socket file is replaced at start.'),
    backlog,
  })
  .describe('Listen on a Unix domain socket (for example behind nginx on the same host).');

const otherCrossbarEndpoints = new Set(['twisted', 'onion']);

/** The endpoint of any transport: TCP or a Unix socket. */
export const endpointSchema = z.discriminatedUnion('type', [tcpEndpoint, unixEndpoint], {
  error: typeError('endpoint', ['tcp', 'unix'], (type) =>
    otherCrossbarEndpoints.has(type) ? notSupportedMessage(`${JSON.stringify(type)} endpoints`, 'supported: tcp, unix') : undefined,
  ),
});

export type TcpEndpointFile = z.output<typeof tcpEndpoint>;
export type EndpointFile = z.output<typeof endpointSchema>;
