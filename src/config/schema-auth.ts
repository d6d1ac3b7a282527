/**
 * The `auth` block of a WebSocket transport or path, in Crossbar's format: one entry per WAMP
 * authentication method, each either `static` (principals in the file) or `dynamic` (a WAMP
 * procedure decides).
 */

import * as z from 'zod';
import { scramKdfs } from '../protocol/scram.js';
import { Ignored, notice } from './notices.js';
import {
  ignored,
  nonEmptyString,
  positiveInt,
  procedureUri,
  realmName,
  roleName,
  typeError,
  unsupported,
} from './schema-parts.js';

const dynamicAuth = z
  .strictObject({
    type: z.literal('dynamic'),
    authenticator: procedureUri.describe('URI of the WAMP procedure that authenticates clients.'),
    'authenticator-realm': realmName
      .optional()
      .describe('Realm where the authenticator is registered (default: the realm the client asks for).'),
    'authenticator-role': roleName
      .optional()
      .describe('Role under which the authenticator is called (default: the role the client asks for).'),
  })
  .describe('Ask a WAMP procedure to authenticate each client.');

/** Crossbar's Python callable: `create(config, controller)` returns the authenticator (docs/authentication.md). */
const functionAuth = z
  .strictObject({
    type: z.literal('function'),
    create: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/, { error: 'expected a Python module and function: "module.function"' })
      .describe('The Python function that makes the authenticator ("module.function"), imported from the router\'s options.pythonpath.'),
    config: z.record(z.string(), z.unknown()).default({}).describe('Passed to create() as its first argument.'),
    expose_controller: ignored('exposing the node controller to the authenticator (expose_controller): create() gets None'),
  })
  .describe('A Python function authenticates each client; Junction runs it in a Python process of its own.');

/** Static, dynamic (a WAMP procedure) or function (a Python callable), by `type`. */
export function methodSchema<S extends z.ZodObject>(method: string, staticSchema: S) {
  return z.discriminatedUnion('type', [staticSchema, dynamicAuth, functionAuth], {
    error: typeError(`${method} authentication`, ['static', 'dynamic', 'function'], () => undefined),
  });
}

export type FunctionAuthFile = z.output<typeof functionAuth>;

export const anonymousStatic = z.strictObject({
  type: z.literal('static'),
  role: roleName.default('anonymous').describe('Role given to anonymous clients.'),
  authid: nonEmptyString.optional().describe('Fixed authid (default: a random one per session).'),
  realm: ignored('a realm on anonymous authentication (Crossbar does not use it either)'),
});

export const ticketStatic = z.strictObject({
  type: z.literal('static'),
  principals: z
    .record(
      z.string(),
      z.strictObject({
        ticket: nonEmptyString.describe('The shared secret; write "${ENV_NAME}" to read it from the environment.'),
        role: roleName,
      }),
    )
    .describe('authid -> ticket and role.'),
});

const wampcraUser = z
  .strictObject({
    secret: nonEmptyString.describe('The secret; write "${ENV_NAME}" to read it from the environment.'),
    role: roleName,
    salt: nonEmptyString.optional().describe('PBKDF2 salt (with iterations and keylen).'),
    iterations: positiveInt.optional(),
    keylen: positiveInt.optional(),
  })
  .superRefine((user, ctx) => {
    // Crossbar silently skips salting unless all three are present; an incomplete set is a mistake.
    const present = (['salt', 'iterations', 'keylen'] as const).filter((key) => user[key] !== undefined);
    if (present.length > 0 && present.length < 3) {
      ctx.addIssue({
        code: 'custom',
        message: `"salt", "iterations" and "keylen" go together (only ${present.map((key) => `"${key}"`).join(', ')} given)`,
        params: { code: 'config.conflict' },
      });
    }
  });

const wampcraStatic = z.strictObject({
  type: z.literal('static'),
  users: z.record(z.string(), wampcraUser).describe('authid -> secret and role.'),
});

const ed25519PublicKey = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, { error: 'expected an Ed25519 public key as 64 hex characters' });

const cryptosignStatic = z.strictObject({
  type: z.literal('static'),
  principals: z
    .record(
      z.string(),
      z.strictObject({
        authorized_keys: z.array(ed25519PublicKey).min(1, { error: 'needs at least one key' }),
        role: roleName,
        realm: realmName.optional().describe('Realm this principal joins, whatever realm the client asked for.'),
      }),
    )
    .describe('authid -> authorized public keys and role.'),
  trustroots: unsupported('cryptosign trustroots (certificate chains)'),
});

const hexBytes = z.string().regex(/^(?:[0-9a-fA-F]{2})+$/, { error: 'expected bytes in hex' });
const scramKey = z.string().regex(/^[0-9a-fA-F]{64}$/, { error: 'expected 32 bytes as 64 hex characters' });

const scramPrincipal = z
  .strictObject({
    kdf: z.enum(scramKdfs).describe('Key derivation function the client runs: "argon2id-13" (Autobahn|Python\'s and Crossbar\'s name; "argon2id13" is the spec\'s) or "pbkdf2".'),
    iterations: positiveInt.describe('Argon2 time cost, or PBKDF2 iteration count.'),
    memory: positiveInt.optional().describe('Argon2 memory cost in KiB (needed with Argon2).'),
    salt: hexBytes.describe('The principal\'s random salt, in hex.'),
    'stored-key': scramKey.describe('StoredKey, in hex; write "${ENV_NAME}" to read it from the environment.'),
    'server-key': scramKey.describe('ServerKey, in hex; write "${ENV_NAME}" to read it from the environment.'),
    role: roleName,
  })
  .superRefine((principal, ctx) => {
    if (principal.kdf !== 'pbkdf2' && principal.memory === undefined) {
      ctx.addIssue({ code: 'custom', path: ['memory'], message: `kdf "${principal.kdf}" needs "memory" (KiB)` });
    }
  });

const scramStatic = z.strictObject({
  type: z.literal('static'),
  principals: z
    .record(z.string(), scramPrincipal)
    .describe('authid -> SCRAM keys and role (make them with `junction scram-principal` or Autobahn|Python\'s derive_scram_credential).'),
});

const sha1Fingerprint = z
  .string()
  .regex(/^([0-9a-fA-F]{2}:){19}[0-9a-fA-F]{2}$|^[0-9a-fA-F]{40}$/, { error: 'expected a SHA-1 fingerprint: 20 hex pairs, with or without ":"' });

const tlsStatic = z.strictObject({
  type: z.literal('static'),
  principals: z
    .record(
      z.string(),
      z.strictObject({
        'certificate-sha1': sha1Fingerprint.optional().describe('The SHA-1 fingerprint of the one certificate of this principal (Crossbar\'s key); without it, a trusted certificate whose subject CN is the authid signs in.'),
        role: roleName,
      }),
    )
    .describe('authid -> certificate and role.'),
});

/** `auth.tls` wherever the door sees the client's TLS connection (WebSocket, RawSocket, MQTT). */
export const tlsMethod = methodSchema('tls', tlsStatic)
  .optional()
  .describe('The client\'s TLS certificate (the endpoint needs tls.ca_certificates): by fingerprint or by subject CN.');

/** Crossbar's `"cookie": {}`: on a WebSocket, which has the browser's cookie (auth/cookie). */
const cookieMethod = z
  .strictObject({})
  .optional()
  .describe('Cookie authentication: needs the transport\'s "cookie" block and another method to bind the cookie.');

const cookieOnWebSocketsOnly = z
  .never({ error: 'cookie authentication needs a browser\'s cookie: it is offered on WebSocket transports and paths only' })
  .optional()
  .describe('Cookie authentication: on WebSocket transports and paths only.');

/**
 * A proxy sign-in method of a router transport: offered to no client (a notice), kept for its
 * dynamic authenticator, which Crossbar's backend calls for each proxied session (cryptosign-proxy).
 */
export class ProxySignInFile extends Ignored {
  constructor(method: string, readonly settings: { type: 'static' } | z.output<typeof dynamicAuth> | FunctionAuthFile) {
    super((path) => notice('config.notice.proxy_sign_in', path, method));
  }
}

/** Checked as Crossbar checks it, then reported as a notice: no client is offered it (the proxy workers it serves are in-process). */
function proxySignIn(method: 'anonymous-proxy' | 'cryptosign-proxy', schema: z.ZodType<ProxySignInFile['settings']>) {
  return schema
    .transform((settings) => new ProxySignInFile(method, settings))
    .optional()
    .describe(`How Crossbar's proxy workers sign their clients in (${method}): accepted, offered to no client (Junction serves proxy workers inside the router).`);
}

/**
 * The methods of a WAMP door; `tls` only where the door sees the TLS connection, `cookie` only on
 * a WebSocket (it needs the transport's `cookie` block and another method to bind the cookie,
 * checked beside the block).
 */
function wampAuth<T extends z.ZodType, C extends z.ZodType>(tls: T, cookie: C) {
  return z
    .strictObject({
      anonymous: methodSchema('anonymous', anonymousStatic).optional(),
      ticket: methodSchema('ticket', ticketStatic).optional(),
      wampcra: methodSchema('wampcra', wampcraStatic).optional(),
      cryptosign: methodSchema('cryptosign', cryptosignStatic).optional(),
      tls,
      cookie,
      scram: methodSchema('scram', scramStatic).optional(),
      // How Crossbar's proxy workers sign their clients in here; Junction serves proxies in-process and offers these to nobody.
      'anonymous-proxy': proxySignIn('anonymous-proxy', methodSchema('anonymous-proxy', anonymousStatic)),
      'cryptosign-proxy': proxySignIn('cryptosign-proxy', methodSchema('cryptosign-proxy', cryptosignStatic)),
    })
    .superRefine((auth, ctx) => {
      const methods = [
        auth.anonymous, auth.ticket, auth.wampcra, auth.cryptosign, auth.scram, (auth as { tls?: unknown }).tls, auth['anonymous-proxy'], auth['cryptosign-proxy'],
      ];
      if (methods.every((method) => method === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'enables no authentication method, so no client could join; add anonymous, ticket, wampcra, cryptosign, scram or tls',
        });
      }
    })
    .describe('Authentication methods offered on this WebSocket, RawSocket or long-poll door (default: anonymous with role "anonymous").');
}

/** A RawSocket's auth. */
export const authSchema = wampAuth(tlsMethod, cookieOnWebSocketsOnly);

/** A WebSocket's auth: also cookie authentication. */
export const websocketAuthSchema = wampAuth(tlsMethod, cookieMethod);

/**
 * A long-poll session lives across many HTTP requests, each free to come on another connection:
 * no one TLS certificate stands for it.
 */
export const longPollAuthSchema = wampAuth(z
  .never({ error: 'tls authentication needs one TLS connection per session; a long-poll session spans many HTTP requests: offer tls on a WebSocket path or a RawSocket transport' })
  .optional(), cookieOnWebSocketsOnly);

function notForSse(method: string) {
  return z
    .never({ error: `an SSE path offers anonymous and ticket authentication only (an EventSource cannot answer a ${method} challenge)` })
    .optional();
}

/**
 * Authentication of an SSE path (Junction extension): an EventSource cannot answer a challenge,
 * so only anonymous (a fixed role) and ticket (query, cookie or bearer header) apply.
 */
export const sseAuthSchema = z
  .strictObject({
    anonymous: anonymousStatic.optional(),
    ticket: methodSchema('ticket', ticketStatic).optional(),
    wampcra: notForSse('wampcra'),
    cryptosign: notForSse('cryptosign'),
    tls: notForSse('tls'),
    cookie: notForSse('cookie'),
    scram: notForSse('scram'),
  })
  .superRefine((auth, ctx) => {
    if (auth.anonymous === undefined && auth.ticket === undefined) {
      ctx.addIssue({ code: 'custom', message: 'enables no authentication method, so no client could listen; add anonymous or ticket' });
    }
  })
  .describe('Who may listen: anonymous with a role and/or a ticket (default: anonymous with role "anonymous").');

function notForConsole(method: string) {
  return z.never({ error: `a console path offers anonymous, ticket and wampcra sign-in only (not ${method})` }).optional();
}

/**
 * Sign-in to a console path (Junction extension): what a person types into the console's form,
 * a ticket or a WAMP-CRA secret, or anonymous with a fixed role (the embedded default).
 */
export const consoleAuthSchema = z
  .strictObject({
    anonymous: methodSchema('anonymous', anonymousStatic).optional(),
    ticket: methodSchema('ticket', ticketStatic).optional(),
    wampcra: methodSchema('wampcra', wampcraStatic).optional(),
    cryptosign: notForConsole('cryptosign'),
    tls: notForConsole('tls'),
    cookie: notForConsole('cookie'),
    scram: notForConsole('scram'),
  })
  .superRefine((auth, ctx) => {
    if (auth.anonymous === undefined && auth.ticket === undefined && auth.wampcra === undefined) {
      ctx.addIssue({ code: 'custom', message: 'enables no sign-in method, so nobody could use the console; add ticket, wampcra or anonymous' });
    }
  })
  .describe('How operators sign in to the console: ticket, wampcra and/or anonymous; the role decides what the console may see and do.');

export type AuthFile = z.output<typeof authSchema> | z.output<typeof websocketAuthSchema>;
export type ConsoleAuthFile = z.output<typeof consoleAuthSchema>;
export type SseAuthFile = z.output<typeof sseAuthSchema>;
