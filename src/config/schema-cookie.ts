/**
 * Crossbar's `cookie` block of a WebSocket transport or path (cookie tracking, the ground of
 * cookie authentication), with Crossbar's keys, defaults and ranges (checkconfig.py
 * check_transport_cookie, cookiestore.py). Junction is stricter where safety needs it: see
 * docs/configuration.md, "Cookie authentication".
 */

import * as z from 'zod';
import { minTokenLength } from '../auth/cookie/token.js';
import { ignored, nonEmptyString, positiveInt, typeError } from './schema-parts.js';

/** What the cookie block means when a key is left out. */
export const cookieDefaults = {
  name: 'cbtid',
  /** Characters of the value (Crossbar's default; Junction never goes below minTokenLength). */
  length: 24,
  /** Crossbar's code default: one week, in seconds (its docs say one day). */
  maxAgeSeconds: 7 * 86400,
  /** Junction's bound on the store (each entry is a browser signed in by another method). */
  maxEntries: 100_000,
  /** Junction's bound on one identity's bound cookies (its browsers and devices), per process. */
  maxEntriesPerAuthid: 100,
} as const;

const tenYearsSeconds = 86400 * 360 * 10;

/** Crossbar's range for a database store's maxsize (cookiestore.py): 128 KiB to 128 GiB. */
const databaseMaxsize = {
  min: 128 * 1024,
  max: 128 * 2 ** 30,
  error: `maxsize must be between ${128 * 1024} (128 KiB) and ${128 * 2 ** 30} (128 GiB) bytes (as in Crossbar)`,
};

const cookieStore = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('memory') }).describe('Cookies in the router\'s memory: gone on restart.'),
  z
    .strictObject({
      type: z.literal('file'),
      filename: nonEmptyString.describe('Relative to the config folder (Crossbar\'s node directory); Junction keeps an lmdb store at <filename>.lmdb, which imports the bound cookies of Crossbar\'s <filename> once.'),
      purge_on_startup: ignored('purge_on_startup (the store forgets each cookie when it expires)'),
    })
    .describe('Cookies in a file, kept across restarts and shared by --workers.'),
  z
    .strictObject({
      type: z.literal('database'),
      path: nonEmptyString.describe('Relative to the config folder, as Crossbar\'s zLMDB database; Junction keeps its own lmdb store at <path>.lmdb, and neither reads nor changes Crossbar\'s.'),
      maxsize: z
        .int()
        .min(databaseMaxsize.min, { error: databaseMaxsize.error })
        .max(databaseMaxsize.max, { error: databaseMaxsize.error })
        .optional()
        .describe('Crossbar\'s bound on its database file: checked as Crossbar does and not used (Junction bounds the store by max_entries).'),
      readonly: z
        .literal(false, { error: 'a read-only cookie store would never bind a cookie: Junction does not offer it (remove readonly, or set it to false)' })
        .optional()
        .describe('Only false: a read-only store would bind nothing.'),
      sync: z.boolean().optional().describe('Not used: each write is its own synchronous lmdb transaction.'),
      purge_on_startup: z.boolean().optional().describe('Not used: the store forgets each cookie when it expires.'),
    })
    .describe('Crossbar\'s database store: Junction\'s lmdb store beside it (a notice says so).'),
], {
  error: typeError('cookie store', ['memory', 'file', 'database'], () => undefined),
});

export const cookieTracking = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_]+$/, { error: 'a cookie name must match ^[a-z][a-z0-9_]+$ (as in Crossbar)' })
      .default(cookieDefaults.name)
      .describe(`Name of the cookie (default "${cookieDefaults.name}").`),
    length: z
      .int()
      .min(6, { error: 'length must be between 6 and 64 (as in Crossbar)' })
      .max(64, { error: 'length must be between 6 and 64 (as in Crossbar)' })
      .default(cookieDefaults.length)
      .describe(`Characters of the random value (default ${cookieDefaults.length}; Junction uses at least ${minTokenLength}, 132 bits).`),
    max_age: z
      .int()
      .min(1, { error: 'max_age must be between 1 second and 10 years (as in Crossbar)' })
      .max(tenYearsSeconds, { error: 'max_age must be between 1 second and 10 years (as in Crossbar)' })
      .default(cookieDefaults.maxAgeSeconds)
      .describe(`Lifetime of the cookie and of its sign-in, in seconds (default ${cookieDefaults.maxAgeSeconds}, one week).`),
    store: cookieStore.prefault({ type: 'memory' }).describe('Where cookies live (default memory).'),
    secure: z.boolean().default(false).describe('Mark the cookie Secure even on plain HTTP (it is always Secure over TLS or from a trusted proxy\'s https).'),
    http_strict: z.boolean().default(true).describe('Junction always sets HttpOnly; false is accepted and has no effect.'),
    same_site: z
      .enum(['Lax', 'Strict'], { error: 'same_site must be "Lax" or "Strict": Junction does not send a sign-in cookie to other sites\' pages (None)' })
      .default('Lax')
      .describe('SameSite of the cookie (default Lax; None is refused).'),
    max_entries: positiveInt
      .default(cookieDefaults.maxEntries)
      .describe(`Junction extension: cookies bound to a sign-in that the store keeps at most (default ${cookieDefaults.maxEntries}); past it the oldest go first.`),
    max_entries_per_authid: positiveInt
      .default(cookieDefaults.maxEntriesPerAuthid)
      .describe(`Junction extension: cookies one authid (in one realm) keeps bound at most, per process (default ${cookieDefaults.maxEntriesPerAuthid}); past it that authid's oldest go first, so one client signing in again and again cannot push out the others'.`),
  })
  .describe('Crossbar\'s tracking cookie: with auth.cookie, a browser that signed in once signs in again by its cookie.');

export type CookieTrackingFile = z.output<typeof cookieTracking>;
