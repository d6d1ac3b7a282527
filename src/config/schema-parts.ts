/**
 * Small schema pieces shared by the Crossbar-format file schema: keys Junction accepts but does
 * not use, keys it rejects as not supported yet, names, URIs and numbers with their messages.
 */

import * as z from 'zod';
import { ipRangeProblem } from './ip-ranges.js';
import { notSupportedMessage } from './codes.js';
import { Ignored, notice } from './notices.js';
import type { ConfigPath } from './config-path.js';
import { closestName } from './schema-problems.js';
import { isValidUri } from '../protocol/uri.js';
import { checkPattern, procedureUriProblem } from './uri-patterns.js';

/** A Crossbar key that only means something to Crossbar's own runtime: accepted, reported as a notice. */
export function ignored(what: string) {
  return acceptedWithNotice(
    (path) => notice('config.notice.ignored', path, what),
    `Accepted for Crossbar compatibility and ignored: ${what} is not needed by Junction.`,
  );
}

/** A Crossbar key accepted whatever its value, reported by `report` (a notice line for its path). */
export function acceptedWithNotice(report: (path: ConfigPath) => string, description: string) {
  return z
    .unknown()
    .transform(() => new Ignored(report))
    .optional()
    .describe(description);
}

// The schema files word a missing feature with the catalogue's template.
export { notSupportedMessage };

/** A Crossbar key whose feature Junction lacks: present at all = an error that names it. */
export function unsupported(what: string, hint?: string) {
  return z
    .never({ error: notSupportedMessage(what, hint) })
    .optional()
    .describe(`Not supported by Junction: ${what}.`);
}

export const nonEmptyString = z.string().min(1, { error: 'must not be empty' });

/** A path relative to a folder that stays inside it (not absolute, no ".." segment); `where` says which: "a file inside the directory". */
export const pathInside = (where: string) => nonEmptyString
  .refine((path) => !path.startsWith('/') && !path.split(/[/\\]/).includes('..'), { error: `${where} (relative, without "..")` });

/**
 * A realm name: a URI under the loose rule, as in a client's HELLO. Crossbar checks nothing more
 * for the realms of a router (two-character names such as "v1" included).
 */
export const realmName = z.string().superRefine((name, ctx) => {
  if (!isValidUri(name, { strict: false })) {
    ctx.addIssue({ code: 'custom', message: 'a realm name is a URI: non-empty components separated by ".", without whitespace or "#"' });
  }
});

/** A role name: any non-empty text, as Crossbar (spaces included). */
export const roleName = z.string().min(1, { error: 'a role name must not be empty' });

/**
 * A procedure the router calls (authorizer, authenticator): a loose URI here; a cross-check holds
 * it to the strict rule where the realm it is called in is strict.
 */
export const procedureUri = z.string().superRefine((uri, ctx) => {
  const problem = procedureUriProblem(uri);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** Crossbar's item-id rule, for transports, workers and components. */
export const itemId = z.string().regex(/^[a-z][a-z0-9_]{2,63}$/, {
  error: 'an id starts with a lower-case letter and has 3 to 64 characters from a-z, 0-9 and "_"',
});

/** A path service's id: Crossbar's management API names services by it; Junction names them by path. */
export const pathServiceId = ignored("a path service's id (id)");

export const positiveInt = z.int({ error: 'expected a positive integer' }).min(1, { error: 'expected a positive integer' });
export const nonNegativeInt = z
  .int({ error: 'expected an integer >= 0' })
  .min(0, { error: 'expected an integer >= 0' });

/** Connections one client address may hold at once on one path or port; past this it is refused (429 over HTTP). */
export const maxPerAddress = (what: string, defaultValue: number) =>
  nonNegativeInt
    .max(1_000_000, { error: `expected at most 1000000 ${what}` })
    .default(defaultValue)
    .describe(`Junction extension: ${what} one client address (trusted proxies considered) may hold open at once; more are refused with 429 (default ${defaultValue}; 0: no limit per address).`);

/** Milliseconds, 0 or more. */
export const milliseconds = z
  .int({ error: 'expected a number of milliseconds (an integer >= 0)' })
  .min(0, { error: 'expected a number of milliseconds (an integer >= 0)' });

const portMessage = 'expected a port number from 0 to 65535';

/**
 * A TCP port. A string of digits is accepted too, so `"port": "${PORT}"` works after environment
 * substitution (and Crossbar's documented `"port": "9000"`).
 */
export const port = z
  // Environment references are substituted before validation; they are part of the pattern so
  // that editors using the JSON Schema accept "${PORT}" (an unset one is reported on its own).
  .union([z.int().min(0, { error: portMessage }).max(65535, { error: portMessage }), z.string().regex(/^(\d+|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)$/, { error: portMessage })], {
    error: (issue) => (issue.input === undefined ? `missing (${portMessage})` : portMessage),
  })
  .transform((value) => Number(value))
  .pipe(z.int().min(0, { error: portMessage }).max(65535, { error: portMessage }))
  .describe('TCP port (0 = any free port); also a string of digits, "${PORT}" or Crossbar\'s "$PORT".');

/**
 * The error function of a union discriminated by `type`: a missing type, a Crossbar type that
 * Junction does not support yet (`notYet` returns its message), or an unknown type.
 */
export function typeError(kind: string, expected: readonly string[], notYet: (type: string) => string | undefined) {
  const list = expected.map((type) => JSON.stringify(type)).join(' or ');
  return (issue: z.core.$ZodRawIssue): string | undefined => {
    // Only the "no matching type" case; a non-object input keeps the general "expected object".
    if (issue.code !== 'invalid_union') return undefined;
    const input = issue.input;
    const type = typeof input === 'object' && input !== null ? (input as Record<string, unknown>).type : undefined;
    if (type === undefined) return `missing "type" (expected ${list})`;
    const message = typeof type === 'string' ? notYet(type) : undefined;
    if (message !== undefined) return message;
    const suggestion = typeof type === 'string' ? closestName(type, expected) : undefined;
    const hint = suggestion === undefined ? '' : `; did you mean ${JSON.stringify(suggestion)}?`;
    return `unknown ${kind} type ${JSON.stringify(type)} (expected ${list})${hint}`;
  };
}

/**
 * A URI that events are published to or a procedure is registered at (loose rules; a strict
 * realm is checked across). `missing` words the message when the key is absent.
 */
export function plainUri(missing?: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined && missing !== undefined ? `missing: ${missing}` : undefined) })
    .superRefine((uri, ctx) => {
      const checked = checkPattern(uri, 'exact');
      if (!checked.ok) ctx.addIssue({ code: 'custom', message: checked.problem });
    });
}

/** The error option of a required object whose absence deserves its own words. */
export function missingMessage(text: string) {
  return (issue: z.core.$ZodRawIssue): string | undefined => (issue.input === undefined ? `missing: ${text}` : undefined);
}

/** An IP address or range (CIDR or Crossbar's netmask form). */
export const ipRange = z.string().superRefine((entry, ctx) => {
  const problem = ipRangeProblem(entry);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

/** Junction extension: proxies whose X-Forwarded-For / X-Forwarded-Proto are believed. */
export const trustedProxies = z
  .array(ipRange)
  .optional()
  .describe(
    'Junction extension: addresses or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers are believed (default: none).',
  );

/** A DNS name, "*.name" or "*"; no port, no IP address (those are always allowed). */
const allowedHost = z
  .string()
  .regex(/^(\*|(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?)$/i, {
    error: 'expected a host name without port ("router.example.com"), "*.example.com" for every name below it, or "*" for any',
  });

export const allowedHosts = z
  .array(allowedHost)
  .optional()
  .describe(
    'Junction extension: host names (besides IP addresses, "localhost", the machine\'s name and the names the transport is configured with) that browsers may reach the console and the HTTP bridge by; a guard against DNS rebinding. "*.example.com" allows every name below example.com, "*" any name.',
  );

/** An absolute http:// or https:// URL without a fragment; `what` names it in messages. */
export function httpUrl(what: string, options: { allowQuery: boolean } = { allowQuery: true }) {
  return z.string().superRefine((text, ctx) => {
    const problem = httpUrlProblem(text, what, options.allowQuery);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });
}

function httpUrlProblem(text: string, what: string, allowQuery: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${what} must be an absolute http:// or https:// URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${what} must use http:// or https:// (not ${url.protocol})`;
  if (url.username !== '' || url.password !== '') return `${what} must not contain a user name or password; send credentials in "headers"`;
  if (url.hash !== '' || text.includes('#')) return `${what} must not have a fragment ("#...")`;
  if (!allowQuery && (url.search !== '' || text.includes('?'))) return `${what} must not have a query ("?..."); callers pass "params"`;
  return undefined;
}

/** HTTP header name (an RFC 9110 token). */
const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, { error: 'not a valid HTTP header name' });

/**
 * Extra HTTP request headers: name -> value. Values are plain text; a line break would let a
 * value add headers of its own, so it is refused.
 */
export const httpHeaders = z
  .record(
    headerName,
    z.string({ error: 'a header value is a string' }).regex(/^[^\r\n\0]*$/, { error: 'a header value must not contain line breaks or NUL' }),
  )
  .default({})
  .describe('Extra HTTP headers: name -> value.');

/** Bytes, at least 1 and at most `max`. */
export function byteCount(max: number) {
  return z
    .int({ error: 'expected a number of bytes (a positive integer)' })
    .min(1, { error: 'expected a number of bytes (a positive integer)' })
    .max(max, { error: `expected at most ${max} bytes` });
}

/** Seconds, 0 or more, at most `max`. */
export function seconds(max: number) {
  return z
    .int({ error: 'expected a number of seconds (an integer >= 0)' })
    .min(0, { error: 'expected a number of seconds (an integer >= 0)' })
    .max(max, { error: `expected at most ${max} seconds` });
}
