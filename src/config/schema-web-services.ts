/**
 * The services a web transport serves on its paths, in Crossbar's format, and the `paths` table
 * itself. A `path` service nests another table below its path (the loader flattens it).
 */

import * as z from 'zod';
import type { Ignored } from './notices.js';
import { archiveService } from './schema-archive.js';
import { callerService, publisherService, webhookService } from './schema-http-bridge.js';
import { cgiService } from './schema-cgi.js';
import { consoleService } from './schema-console.js';
import { pythonModuleName, resourceService, reverseProxyService, wsgiService } from './schema-http-forward.js';
import { longPollService, sseService } from './schema-http-transports.js';
import {
  ignored,
  pathServiceId,
  milliseconds,
  nonEmptyString,
  notSupportedMessage,
  pathInside,
  seconds,
  trustedProxies,
  allowedHosts,
  typeError,
} from './schema-parts.js';
import { mqttPathService } from './schema-mqtt.js';
import { fileUploadService, uploadService } from './schema-upload.js';
import { wapService } from './schema-wap.js';
import { websocketService } from './schema-websocket.js';
import { websocketProxyService } from './schema-websocket-proxy.js';

export const staticDefaults = { defaultFile: 'index.html', cacheTimeoutSeconds: 43200 };

const staticOptions = z.strictObject({
  enable_directory_listing: z.boolean().default(false).describe('List a directory that has no default file (default false).'),
  mime_types: z
    .record(
      z.string().regex(/^\.[^./\\\s]+$/, { error: 'a MIME type key is a file extension with its dot, like ".wasm"' }),
      z.string().regex(/^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/, { error: 'expected a MIME type like "application/wasm"' }),
    )
    .default({})
    .describe('Extra file extension -> MIME type entries, e.g. {".wasm": "application/wasm"}.'),
  cache_timeout: seconds(31536000)
    .nullable()
    .default(staticDefaults.cacheTimeoutSeconds)
    .describe(`Cache-Control max-age in seconds (default ${staticDefaults.cacheTimeoutSeconds} = 12 h, as Crossbar); 0 or null: no caching.`),
  default_file: pathInside('a file inside the directory')
    .default(staticDefaults.defaultFile)
    .describe(`File served for a directory (default "${staticDefaults.defaultFile}").`),
});

export const staticService = z
  .strictObject({
    type: z.literal('static'),
    id: pathServiceId,
    directory: nonEmptyString.optional().describe('Folder to serve (relative paths: from the config file folder). Required, unless package and resource are given.'),
    package: pythonModuleName('"package"', '"mysite" or "mysite.web"').optional()
      .describe('A Python package, found on the router worker\'s options.pythonpath, that ships the files (with resource, instead of directory).'),
    resource: pathInside('a folder inside the package')
      .optional()
      .describe('The folder inside package to serve, like "web" or "static/site".'),
    options: staticOptions.prefault({}),
  })
  .superRefine((service, ctx) => {
    const missing = (key: string, message: string) => ctx.addIssue({ code: 'custom', message, path: [key], params: { code: 'config.missing' } });
    if (service.directory !== undefined && (service.package !== undefined || service.resource !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either "directory" or "package" and "resource", not both', path: [service.package === undefined ? 'resource' : 'package'] });
    } else if (service.package !== undefined && service.resource === undefined) {
      missing('resource', 'missing: "resource", the folder inside the package to serve');
    } else if (service.resource !== undefined && service.package === undefined) {
      missing('package', 'missing: "package", the Python package that ships the resource');
    } else if (service.directory === undefined && service.package === undefined) {
      missing('directory', 'missing: "directory", the folder to serve (or "package" and "resource")');
    }
  })
  .describe('Files from a directory, or from a folder shipped inside a Python package, on this path and below it.');

export const jsonService = z
  .strictObject({
    type: z.literal('json'),
    id: pathServiceId,
    value: z.unknown().nonoptional({ error: 'missing: "value", the JSON value to serve' }).describe('Any JSON value, answered to GET.'),
    options: z
      .strictObject({
        prettify: z.boolean().default(false).describe('Indented output (default false).'),
        allow_cross_origin: z.boolean().default(false).describe('Answer with Access-Control-Allow-Origin: * (default false).'),
        discourage_caching: z.boolean().default(false).describe('Answer with Cache-Control: no-store (default false).'),
      })
      .prefault({}),
  })
  .describe('A fixed JSON value.');

const redirectStatuses = [301, 302, 303, 307, 308] as const;
export type RedirectStatus = (typeof redirectStatuses)[number];

export const redirectService = z
  .strictObject({
    type: z.literal('redirect'),
    id: pathServiceId,
    url: nonEmptyString
      .regex(/^[^\s]+$/, { error: 'a URL must not contain whitespace' })
      .describe('Where to send the client: "https://example.com", "/download" or "../other".'),
    status: z
      .literal(redirectStatuses, { error: `expected one of ${redirectStatuses.join(', ')}` })
      .default(302)
      .describe('Junction extension: the redirect status (its default is Crossbar\'s).'),
  })
  .describe('Redirects every request on this path.');

const plainService = <T extends string>(type: T, description: string) =>
  z.strictObject({ type: z.literal(type), id: pathServiceId }).describe(description);

export const nodeInfoService = plainService('nodeinfo', 'JSON facts about the node: version, uptime, realms with session counts.');
export const healthService = plainService('health', 'Junction extension: 200 while serving, 503 while starting or stopping (for load balancers).');
export const metricsService = plainService('metrics', "Junction extension: the node's metrics in Prometheus text format.");

/** Path keys: "/" or names like "ws" or "api/v1/ws"; "ws" and "/ws" mean the same. */
export const pathKey = z
  .string()
  .regex(/^(\/|\/?[A-Za-z0-9_.~-]+(\/[A-Za-z0-9_.~-]+)*\/?)$/, {
    error: 'a path is "/" or names like "ws" or "api/v1/ws" (letters, digits, "_", ".", "~", "-")',
  })
  .refine((key) => !key.split('/').some((segment) => segment === '.' || segment === '..'), {
    error: 'a path segment must not be "." or ".."',
  });

const leafServices = [
  websocketService,
  staticService,
  jsonService,
  redirectService,
  nodeInfoService,
  healthService,
  metricsService,
  publisherService,
  callerService,
  webhookService,
  longPollService,
  sseService,
  consoleService,
  mqttPathService,
  websocketProxyService,
  reverseProxyService,
  wsgiService,
  cgiService,
  uploadService,
  fileUploadService,
  resourceService,
  wapService,
  archiveService,
] as const;

export type LeafPathServiceFile = z.output<(typeof leafServices)[number]>;

/** Crossbar's `path` service: a table of services below this path. */
export interface NestedPathServiceFile {
  type: 'path';
  id?: Ignored | undefined;
  paths: Record<string, PathServiceFile>;
}

export type PathServiceFile = LeafPathServiceFile | NestedPathServiceFile;

const nestedPathService = z
  .strictObject({
    type: z.literal('path'),
    id: pathServiceId,
    // Lazy: a path service's table holds path services again.
    paths: z.record(pathKey, z.lazy((): z.ZodType<PathServiceFile> => pathService)).describe('Services below this path.'),
  })
  .describe('A folder of services: "api" with {"publish": ...} serves /api/publish.');

export const pathServiceTypes = [...leafServices.map((service) => service.shape.type.value), 'path'] as const;

/** Path service types Crossbar has that Junction does not serve, to tell "not yet" from a typo. */
const otherCrossbarPathServices = new Set(['rpc', 'catalog', 'none', 'pairme', 'registerme']);

function otherPathServiceMessage(type: string): string | undefined {
  if (!otherCrossbarPathServices.has(type)) return undefined;
  return notSupportedMessage(`the ${JSON.stringify(type)} path service`, `supported: ${pathServiceTypes.join(', ')}`);
}

export const pathService = z.discriminatedUnion('type', [...leafServices, nestedPathService], {
  error: typeError('path service', pathServiceTypes, otherPathServiceMessage),
});

/** A web transport's (or a universal transport's web part's) `paths` table. */
export const pathTable = z.record(pathKey, pathService).describe('URL path -> service; "ws" and "/ws" mean the same.');

/** How long a request body may take to arrive, after the time its headers had (Junction's own default). */
export const defaultRequestBodyTimeoutMs = 30_000;

/** The `options` of a web transport: Twisted settings Junction ignores, plus `trusted_proxies`, `allowed_hosts` and `request_body_timeout`. */
export const webOptions = z.strictObject({
  access_log: ignored('the Twisted HTTP access log (access_log)'),
  display_tracebacks: ignored('Python tracebacks in error pages (display_tracebacks)'),
  client_timeout: ignored('the Twisted HTTP client timeout (client_timeout)'),
  hsts: z
    .literal(false, { error: notSupportedMessage('HSTS headers', 'set them in your reverse proxy') })
    .optional(),
  hsts_max_age: ignored('hsts_max_age without HSTS'),
  trusted_proxies: trustedProxies,
  allowed_hosts: allowedHosts,
  request_body_timeout: milliseconds
    .min(1, { error: 'expected at least 1 ms' })
    .max(3_600_000, { error: 'expected at most 3600000 ms' })
    .optional()
    .describe(`Junction extension: ms a request body may take to arrive after the time its headers had (open_handshake_timeout); a slower request is answered 408 and closed (default ${defaultRequestBodyTimeoutMs}).`),
});
