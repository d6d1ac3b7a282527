/**
 * Crossbar's guest worker: a program the node starts beside the router (typically a WAMP client
 * in another language that connects back). The keys are those Crossbar's `check_guest` accepts
 * (src/crossbar/common/checkconfig.py), with their values checked the same way; two Junction
 * extensions bound what its output may cost the log.
 */

import * as z from 'zod';
import { itemId, missingMessage, nonEmptyString, positiveInt } from './schema-parts.js';

/** What Junction does with a guest's output, when the file does not say. */
export const guestOutputDefaults = {
  /** Longer stdout/stderr lines are not logged (counted, and their length logged). */
  maxLineBytes: 16 * 1024,
  /** Lines logged per second per guest (a burst of this many too); more are dropped and counted. */
  linesPerSecond: 100,
} as const;

/** Crossbar's names for what becomes of the guest's stdout or stderr. */
export const guestOutputModes = ['log', 'drop', 'close'] as const;

const outputMode = z
  .enum(guestOutputModes, { error: 'expected "log" (each line logged), "drop" (read and discarded) or "close" (the pipe closed: writing to it fails)' })
  .default('log');

/** Crossbar's process environment (`check_process_env`), for guests and container workers. */
export const processEnvironment = z
  .strictObject({
    inherit: z
      .union([z.boolean(), z.array(nonEmptyString)], { error: 'expected true, false, or a list of variable names' })
      .default(true)
      .describe('true (default): the guest gets the whole environment of Junction; false: none of it; a list: those variables only.'),
    vars: z.record(z.string(), z.string({ error: 'expected a string (environment values are text)' })).default({}).describe('Variables set for the guest (over inherited ones).'),
  })
  .prefault({});

const guestStdin = z.union(
  [
    z.literal('close'),
    z.strictObject({
      type: z.literal('json', { error: 'expected "json" (the only stdin type)' }),
      value: z.unknown().refine((value) => value !== undefined, { error: 'missing: the value written to stdin as JSON' }),
      close: z.boolean().default(true).describe('Close stdin after the value (default true).'),
    }),
  ],
  { error: 'expected "close" or {"type": "json", "value": ..., "close": true}' },
);

const guestWatch = z.strictObject({
  directories: z.array(nonEmptyString).min(1, { error: 'expected at least one directory' }).describe('Folders (relative to the config folder) whose changes stop the guest.'),
  action: z.literal('restart', { error: 'expected "restart" (the only action)' }).optional().describe('"restart": start the guest again after a change; absent: it stays stopped (as in Crossbar).'),
  timeout: z.number({ error: 'expected a number of seconds' }).min(0, { error: 'expected a number of seconds >= 0' }).max(3600, { error: 'expected at most 3600 seconds' }).default(1)
    .describe('Seconds between the change and the restart (default 1).'),
});

const guestOptions = z
  .strictObject({
    workdir: nonEmptyString.optional().describe('Working directory, relative to the config folder (default: the config folder).'),
    env: processEnvironment,
    stdin: guestStdin.optional().describe('"close", or a JSON value written to stdin at start. Absent: stdin stays open and empty.'),
    stdout: outputMode.describe('"log" (default), "drop" or "close".'),
    stderr: outputMode.describe('"log" (default), "drop" or "close".'),
    watch: guestWatch.optional(),
    max_line_bytes: positiveInt.max(1024 * 1024, { error: 'expected at most 1048576 bytes' }).default(guestOutputDefaults.maxLineBytes)
      .describe(`Junction extension: longer output lines are not logged, only counted (default ${guestOutputDefaults.maxLineBytes}).`),
    log_lines_per_second: positiveInt.max(100_000, { error: 'expected at most 100000 lines per second' }).default(guestOutputDefaults.linesPerSecond)
      .describe(`Junction extension: output lines logged per second (and in one burst); more are dropped and counted (default ${guestOutputDefaults.linesPerSecond}).`),
  })
  .prefault({});

export const guestWorkerSchema = z
  .strictObject({
    type: z.literal('guest'),
    id: itemId.optional(),
    executable: z.string({ error: missingMessage('the program to run (a path, or a name on the PATH)') }).min(1, { error: 'must not be empty' })
      .describe('The program: a path (relative to workdir) or a name looked up on the PATH.'),
    arguments: z.array(z.string({ error: 'expected a string (each argument is text)' })).default([]).describe('Its arguments, passed as they are (no shell).'),
    options: guestOptions,
  })
  .describe('A program Junction starts once the router listens, and stops with it (Crossbar\'s guest worker).');

export type GuestWorkerFile = z.output<typeof guestWorkerSchema>;
