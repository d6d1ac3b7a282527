/**
 * Crossbar's `flashpolicy` pseudo transport (checked as its `check_listening_transport_flashpolicy`):
 * answers Adobe Flash's `<policy-file-request/>` with a cross-domain policy naming the domain its
 * clients may come from and the ports they may open sockets to.
 */

import * as z from 'zod';
import { endpointSchema } from './schema-endpoint.js';
import { ignored, itemId, port } from './schema-parts.js';

/** Crossbar's defaults: any domain, any port. */
export const flashPolicyDefaults = { allowedDomain: '*', allowedPorts: '*' } as const;

/** What Flash takes as a domain ("*", "*.example.com", a name or an address), and nothing that could break out of the XML attribute. */
const allowedDomain = z
  .string()
  .regex(/^(\*|(\*\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*|[0-9A-Fa-f:.]+)$/, {
    error: 'expected a domain ("example.com"), "*.example.com" for every name below it, "*" for any, or an IP address',
  })
  .default(flashPolicyDefaults.allowedDomain)
  .describe(`The domain Flash clients may come from (default "${flashPolicyDefaults.allowedDomain}": any).`);

const allowedPorts = z
  .array(port.refine((value) => value > 0, { error: 'expected a port number from 1 to 65535' }))
  .optional()
  .describe('The ports Flash clients may open sockets to (absent or empty: any).');

export const flashPolicyTransport = z
  .strictObject({
    type: z.literal('flashpolicy'),
    id: itemId.optional(),
    endpoint: endpointSchema,
    allowed_domain: allowedDomain,
    allowed_ports: allowedPorts,
    debug: ignored('Crossbar debug logging (debug; use --log-level)'),
  })
  .describe('Serves the Flash socket policy file (usually on port 843) to <policy-file-request/>.');

export type FlashPolicyTransportFile = z.output<typeof flashPolicyTransport>;
