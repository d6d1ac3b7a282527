/**
 * Crossbar's `cgi` path service: a directory of CGI scripts, each run by `processor` (its keys as
 * Crossbar's config check has them). `options` is Junction's: the bounds of the scripts it runs.
 */

import * as z from 'zod';
import { requiredText } from './schema-http-forward.js';
import { byteCount, milliseconds, pathServiceId, positiveInt } from './schema-parts.js';

/** The bounds of a cgi path when its `options` do not give them. */
export const cgiDefaults = {
  timeoutMs: 60_000,
  maxRequestsInFlight: 10,
  maxRequestBodyBytes: 1024 * 1024,
  maxResponseHeaderBytes: 16 * 1024,
} as const;

const cgiOptions = z
  .strictObject({
    timeout: milliseconds
      .min(1, { error: 'expected at least 1 ms' })
      .max(3_600_000, { error: 'expected at most 3600000 ms' })
      .default(cgiDefaults.timeoutMs)
      .describe(`Junction extension: ms a script may run; past it its process group is killed and the client gets 504 (or the answer is cut off) (default ${cgiDefaults.timeoutMs}).`),
    max_requests_in_flight: positiveInt
      .max(10_000, { error: 'expected at most 10000 scripts' })
      .default(cgiDefaults.maxRequestsInFlight)
      .describe(`Junction extension: scripts running at once on this path; more requests are answered 503 with Retry-After (default ${cgiDefaults.maxRequestsInFlight}).`),
    max_request_body_bytes: byteCount(1024 * 1024 * 1024)
      .default(cgiDefaults.maxRequestBodyBytes)
      .describe(`Junction extension: largest request body a script is given; a larger one is answered 413 (default ${cgiDefaults.maxRequestBodyBytes}).`),
    max_response_header_bytes: byteCount(1024 * 1024)
      .default(cgiDefaults.maxResponseHeaderBytes)
      .describe(`Junction extension: largest header block a script may write before its body; more is answered 502 (default ${cgiDefaults.maxResponseHeaderBytes}).`),
  })
  .prefault({})
  .describe('Junction extension: how long, how many and how large the scripts\' requests and answers may be.');

export const cgiService = z
  .strictObject({
    type: z.literal('cgi'),
    id: pathServiceId,
    directory: requiredText('"directory", the folder of the CGI scripts')
      .describe('Folder of the scripts (relative paths: from the config file folder); a request below the path names a script in it (required).'),
    processor: requiredText('"processor", the program that runs a script (like "/usr/bin/python3")')
      .refine((processor) => !/[\0\r\n]/.test(processor), { error: 'a program path must not contain NUL or line breaks' })
      .refine((processor) => processor.startsWith('/') || !processor.includes('/'), { error: 'expected an absolute path like "/usr/bin/python3", or a program name found on PATH like "python3"' })
      .describe('The program that runs each script, given the script\'s file as its argument: a path, or a name on PATH (required).'),
    options: cgiOptions,
  })
  .describe('CGI scripts from a directory, each request run by the processor as a CGI/1.1 program.');

export type CgiServiceFile = z.output<typeof cgiService>;
