/**
 * `tls` of a connecting endpoint (Crossbar's check_connecting_endpoint_tls): what a connection
 * Junction opens to another server (a reverse proxy's backend, a router link) verifies and presents.
 */

import * as z from 'zod';
import { nonEmptyString } from './schema-parts.js';

export const connectingTls = z
  .strictObject({
    hostname: nonEmptyString.optional().describe('The name the server\'s certificate must carry (default: the endpoint\'s host).'),
    ca_certificates: z.array(nonEmptyString).min(1, { error: 'expected at least one PEM file' }).optional()
      .describe('PEM files of the authorities trusted for the server\'s certificate (default: the system\'s).'),
    certificate: nonEmptyString.optional().describe('PEM client certificate presented to the server (with "key").'),
    key: nonEmptyString.optional().describe('PEM private key of that client certificate.'),
  })
  .refine((tls) => (tls.certificate === undefined) === (tls.key === undefined), {
    error: 'a client certificate needs both "certificate" and "key"',
    params: { code: 'config.conflict' },
  })
  .describe('Connect over TLS, verifying the server\'s certificate.');
