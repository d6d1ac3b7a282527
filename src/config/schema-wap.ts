/**
 * Crossbar's `wap` path service (WAMP Application Page, webservice/wap.py): each route calls a
 * procedure as the service's role and renders the result with a Jinja2 template. Crossbar's keys
 * as its config check has them; `options` is Junction's (the bounds Crossbar does not have).
 */

import * as z from 'zod';
import { pythonModuleName } from './schema-http-forward.js';
import { byteCount, ignored, milliseconds, missingMessage, nonEmptyString, pathInside, pathServiceId, positiveInt, procedureUri, realmName, roleName } from './schema-parts.js';
import { parseWapRule } from './wap-rule.js';

export const wapDefaults = { callTimeoutMs: 30_000, maxOutputBytes: 1_048_576, maxRequestsInFlight: 100, postBodyLimit: 65_536 } as const;

const route = z.strictObject({
  path: z.string({ error: missingMessage('"path", the route below this path (like "/greeting/<name>")') }).superRefine((rule, ctx) => {
    const parsed = parseWapRule(rule);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  }).describe('The route, in Werkzeug\'s rule syntax: "/product/<int:id>/<report>"; each variable is a keyword argument of the call.'),
  method: z.enum(['GET', 'POST'], { error: 'expected "GET" or "POST"' }).default('GET').describe('The HTTP method of the route (default GET).'),
  call: procedureUri.nullable().optional().describe('The procedure to call; null or absent: the template is rendered with no data.'),
  render: pathInside('a template file inside the folder').describe('The Jinja2 template rendered with the result (a dict), from the templates folder (required).'),
});

const packageTemplates = z.strictObject({
  package: pythonModuleName('"package", the Python package that ships the templates', '"mysite" or "mysite.web"'),
  resource: pathInside('a folder inside the package').describe('The templates folder inside the package.'),
});

export const wapService = z
  .strictObject({
    type: z.literal('wap'),
    id: pathServiceId,
    path: ignored("a wap service's path (path)"),
    templates: z.union([nonEmptyString, packageTemplates], { error: (issue) => (issue.input === undefined
      ? 'missing: "templates", the folder of the Jinja2 templates (or {"package", "resource"})'
      : 'expected a folder (relative paths: from the config folder) or {"package": ..., "resource": ...}') })
      .describe('The Jinja2 templates folder (relative paths: from the config folder), or {"package", "resource"} (required).'),
    sandbox: z.boolean().default(true).describe('Render in Jinja2\'s sandboxed environment (default true, as Crossbar).'),
    routes: z.array(route, { error: missingMessage('"routes", the list of {path, method, call, render}') })
      .min(1, { error: 'expected at least one route' }).describe('The pages: each a route, a procedure and a template (required).'),
    wamp: z.strictObject({
      realm: realmName.describe('Realm the service\'s session joins.'),
      authrole: roleName.describe('Role the session has there; its permissions apply to the calls.'),
    }, { error: missingMessage('"wamp", the {realm, authrole} the calls are made in and as') }),
    options: z.strictObject({
      call_timeout: milliseconds.min(1, { error: 'expected at least 1 ms' }).max(3_600_000, { error: 'expected at most 3600000 ms' })
        .default(wapDefaults.callTimeoutMs)
        .describe(`Junction extension: ms a route's call may take; past it the page answers 504 (default ${wapDefaults.callTimeoutMs}).`),
      max_output_bytes: byteCount(104_857_600).default(wapDefaults.maxOutputBytes)
        .describe(`Junction extension: largest rendered page (or JSON result) in bytes; a larger one answers 500 (default ${wapDefaults.maxOutputBytes}).`),
      max_requests_in_flight: positiveInt.max(100_000, { error: 'expected at most 100000 requests' }).default(wapDefaults.maxRequestsInFlight)
        .describe(`Junction extension: pages being made at once; more are answered 503 (default ${wapDefaults.maxRequestsInFlight}).`),
      post_body_limit: byteCount(16_777_216).default(wapDefaults.postBodyLimit)
        .describe(`Junction extension: largest POST body in bytes, passed to the call as data (default ${wapDefaults.postBodyLimit}); more: 413.`),
    }).prefault({}).describe('Junction extension: the bounds of the pages.'),
  })
  .describe('WAMP Application Page: a route\'s call, as a role, rendered with a Jinja2 template.');

export type WapServiceFile = z.output<typeof wapService>;
