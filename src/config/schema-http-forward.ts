/**
 * Path services that forward HTTP requests to another server: Crossbar's `reverseproxy` (an HTTP
 * server at host:port), `wsgi` (a Python WSGI app) and `resource` (a Twisted Web resource class),
 * the last two run by Junction in a Python process of their own and forwarded to. Crossbar's keys as its config check has them; `options` is Junction's.
 */

import * as z from 'zod';
import { milliseconds, missingMessage, pathServiceId, port, positiveInt } from './schema-parts.js';

/** A required text key whose absence says what it is for. */
export const requiredText = (what: string) => z.string({ error: missingMessage(what) }).min(1, { error: 'must not be empty' });

/** The bounds of a forwarding path when its `options` do not give them. */
export const forwardDefaults = { timeoutMs: 60_000, maxRequestsInFlight: 100, port: 80, minThreads: 0, maxThreads: 20 } as const;

const forwardOptions = z
  .strictObject({
    timeout: milliseconds
      .min(1, { error: 'expected at least 1 ms' })
      .max(3_600_000, { error: 'expected at most 3600000 ms' })
      .default(forwardDefaults.timeoutMs)
      .describe(`Junction extension: ms the server may take to start its answer, and at most between two pieces of it; past it the client gets 504 (or the answer is cut off) (default ${forwardDefaults.timeoutMs}, nginx's proxy_read_timeout).`),
    max_requests_in_flight: positiveInt
      .max(100_000, { error: 'expected at most 100000 requests' })
      .default(forwardDefaults.maxRequestsInFlight)
      .describe(`Junction extension: requests forwarded at once; more are answered 503 at once (default ${forwardDefaults.maxRequestsInFlight}).`),
  })
  .prefault({})
  .describe('Junction extension: how long and how many requests are forwarded.');

export const reverseProxyService = z
  .strictObject({
    type: z.literal('reverseproxy'),
    id: pathServiceId,
    host: requiredText('"host", the HTTP server to forward to (like "127.0.0.1")')
      .regex(/^[^\s/:?#@[\]]+$|^\[[0-9A-Fa-f:.]+\]$/, { error: 'expected a host name or address, like "app.internal", "127.0.0.1" or "[::1]" (no scheme, port or path)' })
      .describe('The HTTP server to forward to (required).'),
    port: port.refine((value) => value !== 0, { error: 'expected the port the server listens on (1 to 65535)' }).default(forwardDefaults.port).describe(`Its port (default ${forwardDefaults.port}).`),
    path: z
      .string()
      .regex(/^(\/[^\s?#]*)?$/, { error: 'expected "" or a path starting with "/", like "/app" (no query, no spaces)' })
      .refine((path) => !path.split('/').some((segment) => segment === '.' || segment === '..'), { error: 'a path segment must not be "." or ".."' })
      .default('')
      .describe('Path prefix on that server: a request for <this path>/a/b goes to <path>/a/b (default "").'),
    options: forwardOptions,
  })
  .describe('Forwards the requests of this path and below it to another HTTP server.');

const pythonName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isDottedPythonName = (name: string): boolean => name.split('.').every((part) => pythonName.test(part));

/** A Python module or package name: "app", "mysite.wsgi". */
export const pythonModuleName = (what: string, example: string) => requiredText(what)
  .refine(isDottedPythonName, { error: `expected a Python module name, like ${example}` });
const threads = (what: string, fallback: number) =>
  z.int({ error: 'expected an integer' }).min(0, { error: 'expected an integer >= 0' }).max(1000, { error: 'expected at most 1000 threads' })
    .default(fallback).describe(`${what} (default ${fallback}).`);

export const wsgiService = z
  .strictObject({
    type: z.literal('wsgi'),
    id: pathServiceId,
    module: pythonModuleName('"module", the Python module of the WSGI app (like "app")', '"app" or "mysite.wsgi"')
      .describe('The Python module of the WSGI app, found on the router worker\'s options.pythonpath (required).'),
    object: requiredText('"object", the WSGI callable in the module (like "app")')
      .regex(pythonName, { error: 'expected a Python name, like "app" or "application"' })
      .describe('The WSGI callable in that module (required).'),
    minthreads: threads('Threads kept running for requests', forwardDefaults.minThreads),
    maxthreads: threads('Requests run by the app at once; more wait for a thread', forwardDefaults.maxThreads).pipe(z.int().min(1, { error: 'expected at least 1 thread' })),
    options: forwardOptions,
  })
  .superRefine((service, ctx) => {
    if (service.minthreads > service.maxthreads) {
      ctx.addIssue({ code: 'custom', message: `minthreads (${service.minthreads}) must not be more than maxthreads (${service.maxthreads})`, path: ['minthreads'] });
    }
  })
  .describe('A Python WSGI app (Flask, Django...), run by the router worker\'s Python, on this path and below it.');

export const resourceService = z
  .strictObject({
    type: z.literal('resource'),
    id: pathServiceId,
    classname: requiredText('"classname", the Twisted Web resource class (like "mysite.web.Hello")')
      .refine((name) => name.includes('.') && isDottedPythonName(name), { error: 'expected a module and a class, like "mysite.web.Hello"' })
      .describe('The Twisted Web resource class, as module.Class, found on the router worker\'s options.pythonpath (required).'),
    extra: z.unknown().optional().describe('Passed to the class as its one argument, as Crossbar does (default {}).'),
    options: forwardOptions,
  })
  .describe('A Twisted Web resource class, run by the router worker\'s Python, on this path and below it.');

export type ReverseProxyServiceFile = z.output<typeof reverseProxyService>;
export type WsgiServiceFile = z.output<typeof wsgiService>;
export type ResourceServiceFile = z.output<typeof resourceService>;
