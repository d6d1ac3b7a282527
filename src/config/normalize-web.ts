/**
 * A web transport's path table, from the file's shape to the model's: nested `path` services
 * flattened into one table of full URL paths, every service in camelCase with its defaults.
 */

import type {
  ArchiveService,
  ForwardLimits,
  HttpBridgeOptions,
  LongPollService,
  PathService,
  SseService,
  StaticService,
  UploadService,
  WebhookService,
  WebSocketService,
} from './model.js';
import { authConfig, mapValues } from './normalize-auth.js';
import { fromConfigDir, type NormalizeContext, type TransportNormalizeContext } from './normalize-context.js';
import { sharedWebSocketOptions } from './normalize-websocket-options.js';
import { mqttConfig } from './normalize-mqtt.js';
import { websocketProxyConfig } from './normalize-websocket-proxy.js';
import type { ArchiveServiceFile } from './schema-archive.js';
import type { ReverseProxyServiceFile } from './schema-http-forward.js';
import { notice } from './notices.js';
import { cookieAuthConfig } from './normalize-cookie.js';
import type { ConfigPath } from './config-path.js';
import { defaultPostBodyLimit, defaultTimestampDeltaLimit, type CallerServiceFile, type PublisherServiceFile, type WebhookServiceFile } from './schema-http-bridge.js';
import { longPollDefaults, type LongPollServiceFile, type SseServiceFile } from './schema-http-transports.js';
import type { PathServiceFile } from './schema-web-services.js';
import type { UploadServiceFile } from './schema-upload.js';
import { offeredSerializers, websocketService, type WebSocketSettingsFile } from './schema-websocket.js';
import { joinWebPath } from './web-paths.js';

/**
 * Adds the services of `table` (at `at` in the file) to `into`, under `prefix`; a `path` service
 * adds its own table below its path. Cross-checks already refused two services on one URL path.
 */
export function addPathServices(
  table: Record<string, PathServiceFile>,
  prefix: string,
  at: ConfigPath,
  context: TransportNormalizeContext,
  into: Record<string, PathService>,
): void {
  for (const [key, service] of Object.entries(table)) {
    const url = joinWebPath(prefix, key);
    const where = [...at, key];
    if (service.type === 'path') addPathServices(service.paths, url, [...where, 'paths'], context, into);
    else into[url] = pathServiceConfig(service, where, context);
  }
}

function pathServiceConfig(service: Exclude<PathServiceFile, { type: 'path' }>, at: ConfigPath, context: TransportNormalizeContext): PathService {
  switch (service.type) {
    case 'websocket':
      return websocketConfig(service, at, context);
    case 'static':
      return staticConfig(service.directory === undefined
        ? { package: service.package!, resource: service.resource!, python: context.python }
        : fromConfigDir(context, service.directory), service.options);
    case 'json':
      return {
        type: 'json',
        value: service.value,
        prettify: service.options.prettify,
        allowCrossOrigin: service.options.allow_cross_origin,
        discourageCaching: service.options.discourage_caching,
      };
    case 'redirect':
      return { type: 'redirect', url: service.url, status: service.status };
    case 'nodeinfo':
    case 'health':
    case 'metrics':
      return { type: service.type };
    case 'publisher':
      return { type: service.type, realm: service.realm, role: service.role, options: bridgeOptions(service, at, context) };
    case 'caller':
      return { type: service.type, realm: service.realm, role: service.role, options: bridgeOptions(service, at, context), maxTimeoutMs: service.options.max_timeout };
    case 'webhook':
      return webhookConfig(service, at, context);
    case 'longpoll':
      return longPollConfig(service, at, context);
    case 'sse':
      return sseConfig(service, context);
    case 'console':
      // The console's own WebSocket: JSON (what the page speaks) with the default options.
      return { type: 'console', realm: service.realm, auth: authConfig(service.auth!, context.functions), websocket: websocketConfig(websocketService.parse({ type: 'websocket', serializers: ['json'] }), at, context).options };
    case 'mqtt':
      return { type: 'mqtt', ...mqttConfig(service, context.functions) };
    case 'websocket-reverseproxy':
      return websocketProxyConfig(service, context);
    case 'reverseproxy':
      return { type: 'reverseproxy', host: service.host, port: service.port, path: service.path, options: forwardLimits(service.options) };
    case 'wsgi':
      return {
        type: 'wsgi', module: service.module, object: service.object, minThreads: service.minthreads, maxThreads: service.maxthreads,
        python: context.python,
        options: forwardLimits(service.options),
      };
    case 'cgi':
      return {
        type: 'cgi', directory: fromConfigDir(context, service.directory), processor: service.processor,
        options: {
          timeoutMs: service.options.timeout, maxRequestsInFlight: service.options.max_requests_in_flight,
          maxRequestBodyBytes: service.options.max_request_body_bytes, maxResponseHeaderBytes: service.options.max_response_header_bytes,
        },
      };
    case 'upload':
    case 'fileupload':
      return uploadConfig(service, context);
    case 'wap':
      return {
        type: 'wap',
        templates: typeof service.templates === 'string' ? fromConfigDir(context, service.templates) : { ...service.templates, python: context.python },
        sandbox: service.sandbox,
        routes: service.routes.map((route) => ({ path: route.path, method: route.method, call: route.call ?? undefined, render: route.render })),
        realm: service.wamp.realm,
        role: service.wamp.authrole,
        python: context.python,
        options: {
          callTimeoutMs: service.options.call_timeout, maxOutputBytes: service.options.max_output_bytes,
          maxRequestsInFlight: service.options.max_requests_in_flight, postBodyLimit: service.options.post_body_limit,
        },
      };
    case 'resource':
      // As Crossbar: the class gets {} when the path has no `extra`.
      return { type: 'resource', classname: service.classname, extra: service.extra === undefined ? {} : service.extra, python: context.python, options: forwardLimits(service.options) };
    case 'archive':
      return archiveConfig(service, context);
  }
}

function uploadConfig(service: UploadServiceFile, context: NormalizeContext): UploadService {
  const fields = service.form_fields;
  const options = service.options;
  return {
    type: 'upload',
    realm: service.realm,
    role: service.role,
    directory: fromConfigDir(context, service.directory),
    ...(service.temp_directory === undefined ? {} : { tempDirectory: fromConfigDir(context, service.temp_directory) }),
    formFields: {
      fileName: fields.file_name, mimeType: fields.mime_type, totalSize: fields.total_size, chunkNumber: fields.chunk_number,
      chunkSize: fields.chunk_size, totalChunks: fields.total_chunks, content: fields.content,
      ...(fields.on_progress === undefined ? {} : { onProgress: fields.on_progress }),
      ...(fields.session === undefined ? {} : { session: fields.session }),
      ...(fields.chunk_extra === undefined ? {} : { chunkExtra: fields.chunk_extra }),
      ...(fields.finish_extra === undefined ? {} : { finishExtra: fields.finish_extra }),
    },
    maxFileSize: options.max_file_size,
    ...(options.file_types === undefined ? {} : { fileTypes: [...options.file_types] }),
    ...(options.file_permissions === undefined ? {} : { fileMode: parseInt(options.file_permissions, 8) }),
    maxChunkSize: options.max_chunk_size,
    maxChunks: options.max_chunks,
    maxUploads: options.max_uploads,
    maxTempBytes: options.max_temp_bytes,
    uploadTimeoutMs: options.upload_timeout,
    maxRequestsInFlight: options.max_requests_in_flight,
  };
}

function forwardLimits(options: ReverseProxyServiceFile['options']): ForwardLimits {
  return { timeoutMs: options.timeout, maxRequestsInFlight: options.max_requests_in_flight };
}

/** Shared by websocket path services, standalone websocket transports and universal websocket parts. */
export function websocketConfig(service: WebSocketSettingsFile, at: ConfigPath, context: NormalizeContext): WebSocketService {
  const options = service.options;
  const cookieAuth = cookieAuthConfig(service.cookie, service.auth !== undefined && 'cookie' in service.auth && service.auth.cookie !== undefined,
    options.allowed_origins, at, context);
  return {
    type: 'websocket',
    serializers: offeredSerializers(service.serializers),
    options: {
      ...sharedWebSocketOptions(options),
      requireWebsocketSubprotocol: options.require_websocket_subprotocol,
      ...(options.wamp1 === undefined ? {} : {
        wamp1: { realm: options.wamp1.realm, role: options.wamp1.role, uris: options.wamp1.uris.map((rule) => ({ ...rule })), maxPrefixes: options.wamp1.max_prefixes },
      }),
    },
    auth: authConfig(service.auth, context.functions),
    ...(cookieAuth === undefined ? {} : { cookieAuth }),
  };
}

function staticConfig(directory: StaticService['directory'], options: Extract<PathServiceFile, { type: 'static' }>['options']): StaticService {
  return {
    type: 'static',
    directory,
    defaultFile: options.default_file,
    directoryListing: options.enable_directory_listing,
    // Crossbar's null sends no caching headers; "do not cache" is the closest safe reading.
    cacheTimeoutSeconds: options.cache_timeout ?? 0,
    mimeTypes: mapValues(options.mime_types, (type) => type),
  };
}

function archiveConfig(service: ArchiveServiceFile, context: NormalizeContext): ArchiveService {
  return {
    type: 'archive',
    archive: fromConfigDir(context, service.archive),
    ...(service.origin === undefined ? {} : { origin: service.origin }),
    download: service.download,
    hashes: (service.hashes ?? []).map((hash) => hash.toLowerCase()),
    ...(service.default_object === undefined ? {} : { defaultObject: service.default_object }),
    ...(service.object_prefix === undefined ? {} : { objectPrefix: service.object_prefix }),
    ...(service.options.default_file === undefined ? {} : { fallbackObject: service.options.default_file }),
    mimeTypes: mapValues(service.mime_types, (type) => type),
  };
}

/**
 * Crossbar writes 0 for "no limit". Junction always keeps a limit, so 0 gets the default and a
 * notice says so (the file still loads, and the user learns what applies).
 */
function limitOrDefault(value: number, fallback: number, at: ConfigPath, unit: string, context: NormalizeContext): number {
  if (value !== 0) return value;
  context.notices.push(notice('config.notice.zero_limit', at, fallback, unit));
  return fallback;
}

function bridgeOptions(service: PublisherServiceFile | CallerServiceFile, at: ConfigPath, context: NormalizeContext): HttpBridgeOptions {
  const options = service.options;
  const where = [...at, 'options'];
  const result: HttpBridgeOptions = {
    postBodyLimit: limitOrDefault(options.post_body_limit, defaultPostBodyLimit, [...where, 'post_body_limit'], 'bytes', context),
    requireIp: [...options.require_ip],
    requireTls: options.require_tls,
    ...bridgeExtensions(options),
  };
  if (options.key !== undefined && options.secret !== undefined) {
    result.signature = {
      key: options.key,
      secret: options.secret,
      timestampDeltaLimitSeconds: limitOrDefault(
        options.timestamp_delta_limit,
        defaultTimestampDeltaLimit,
        [...where, 'timestamp_delta_limit'],
        'seconds',
        context,
      ),
      ...(options.replay_memory === undefined ? {} : { replayMemory: options.replay_memory }),
    };
  }
  return result;
}

/** The options the publisher, caller and webhook write alike and Crossbar does not have. */
function bridgeExtensions(options: { max_requests_in_flight?: number | undefined; allowed_origins?: string[] | undefined }): Pick<HttpBridgeOptions, 'maxRequestsInFlight' | 'allowedOrigins'> {
  return {
    ...(options.max_requests_in_flight === undefined ? {} : { maxRequestsInFlight: options.max_requests_in_flight }),
    ...(options.allowed_origins === undefined ? {} : { allowedOrigins: [...options.allowed_origins] }),
  };
}

function webhookConfig(service: WebhookServiceFile, at: ConfigPath, context: NormalizeContext): WebhookService {
  const options = service.options;
  return {
    type: 'webhook',
    realm: service.realm,
    role: service.role,
    topic: options.topic,
    successResponse: options.success_response,
    errorResponse: options.error_response,
    ...(options.github_secret === undefined ? {} : { githubSecret: options.github_secret }),
    options: {
      postBodyLimit: limitOrDefault(options.post_body_limit, defaultPostBodyLimit, [...at, 'options', 'post_body_limit'], 'bytes', context),
      requireIp: [...options.require_ip],
      requireTls: options.require_tls,
      ...bridgeExtensions(options),
    },
  };
}

function longPollConfig(service: LongPollServiceFile, at: ConfigPath, context: NormalizeContext): LongPollService {
  const options = service.options;
  const where = (key: string) => [...at, 'options', key];
  return {
    type: 'longpoll',
    serializers: offeredSerializers(service.serializers),
    requestTimeoutMs:
      limitOrDefault(options.request_timeout, longPollDefaults.requestTimeoutSeconds, where('request_timeout'), 'seconds', context) * 1000,
    sessionTimeoutMs:
      limitOrDefault(options.session_timeout, longPollDefaults.sessionTimeoutSeconds, where('session_timeout'), 'seconds', context) * 1000,
    queueLimitBytes: limitOrDefault(options.queue_limit_bytes, longPollDefaults.queueLimitBytes, where('queue_limit_bytes'), 'bytes', context),
    queueLimitMessages: limitOrDefault(
      options.queue_limit_messages,
      longPollDefaults.queueLimitMessages,
      where('queue_limit_messages'),
      'messages',
      context,
    ),
    maxMessageSize: options.max_message_size,
    maxTransports: options.max_transports,
    maxPerAddress: options.max_per_address,
    ...fixedTransportId(options.debug_transport_id, where('debug_transport_id'), context),
    auth: authConfig(service.auth, context.functions),
  };
}

/** Crossbar's debug_transport_id, taken with a notice (it makes the session's URLs guessable). */
function fixedTransportId(id: string | undefined, at: ConfigPath, context: NormalizeContext): Pick<LongPollService, 'debugTransportId'> {
  if (id === undefined) return {};
  context.notices.push(notice('config.notice.fixed_transport_id', at, id));
  return { debugTransportId: id };
}

function sseConfig(service: SseServiceFile, context: NormalizeContext): SseService {
  const options = service.options;
  return {
    type: 'sse',
    realm: service.realm,
    auth: authConfig(service.auth, context.functions),
    cookieName: options.cookie_name,
    heartbeatMs: options.heartbeat_interval,
    maxTopics: options.max_topics,
    maxBufferedBytes: options.max_buffered_bytes,
    maxStreams: options.max_streams,
    maxPerAddress: options.max_per_address,
    resumeWaitMs: options.resume_wait,
  };
}
