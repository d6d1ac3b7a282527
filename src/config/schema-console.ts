/** The `console` path service (Junction extension): the router's web console, docs/console.md. */

import * as z from 'zod';
import { consoleAuthSchema } from './schema-auth.js';
import { pathServiceId, realmName } from './schema-parts.js';

export const consoleService = z
  .strictObject({
    type: z.literal('console'),
    id: pathServiceId,
    realm: realmName.describe('Realm the console signs in to and shows.'),
    auth: consoleAuthSchema.optional(),
  })
  .superRefine((service, ctx) => {
    // No default: a console must say who may sign in.
    if (service.auth === undefined) {
      ctx.addIssue({ code: 'custom', message: 'missing: "auth", how operators sign in (ticket, wampcra or anonymous with a role)', path: ['auth'], params: { code: 'config.missing' } });
    }
  })
  .describe('Junction extension: the web console, a page that signs in to the realm as an ordinary WAMP session (WebSocket below this path, at "ws").');

export type ConsoleServiceFile = z.output<typeof consoleService>;
