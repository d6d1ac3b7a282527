import type { PathService } from '../../config/model.js';
import { UnsupportedConfigError } from '../auth-wiring.js';
import type { PathHandler } from './listener.js';
import type { PathServiceFactory, ServiceContext } from './service-context.js';
import { cgiPath } from './cgi/cgi-path.js';
import { archivePath } from './archive-path.js';
import { consolePath } from './console-path.js';
import { healthPath } from './health.js';
import { httpCaller, httpPublisher, httpWebhook } from './http-bridge/index.js';
import { jsonValuePath } from './json-value.js';
import { longpollPath } from './longpoll-path.js';
import { metricsPath } from './metrics-path.js';
import { mqttPath } from './mqtt-path.js';
import { nodeInfoPath } from './nodeinfo.js';
import { pythonAppPath } from './python-app-path.js';
import { redirectPath } from './redirect.js';
import { reverseProxyPath } from './reverseproxy-path.js';
import { ssePath } from './sse-path.js';
import { staticPath } from './static.js';
import { uploadPath } from './upload/upload-path.js';
import { wapPath } from './wap-path.js';
import { websocketPath } from './websocket-path.js';
import { websocketProxyPath } from './websocket-proxy-path.js';
import { websocketTesteePath } from './websocket-testee-path.js';

type Factories = { [Type in PathService['type']]?: PathServiceFactory<Extract<PathService, { type: Type }>> };

/** Each path service type and the module that serves it. */
const factories: Factories = {
  websocket: websocketPath,
  static: staticPath,
  json: jsonValuePath,
  redirect: redirectPath,
  nodeinfo: nodeInfoPath,
  health: healthPath,
  metrics: metricsPath,
  longpoll: longpollPath,
  sse: ssePath,
  mqtt: mqttPath,
  publisher: httpPublisher,
  caller: httpCaller,
  webhook: httpWebhook,
  console: consolePath,
  'websocket-reverseproxy': websocketProxyPath,
  'websocket-testee': websocketTesteePath,
  reverseproxy: reverseProxyPath,
  wsgi: pythonAppPath,
  resource: pythonAppPath,
  wap: wapPath,
  cgi: cgiPath,
  upload: uploadPath,
  archive: archivePath,
};

/** Builds the handler for one path of a web transport. */
export function buildPathHandler(service: PathService, context: ServiceContext): PathHandler | Promise<PathHandler> {
  const factory = factories[service.type] as PathServiceFactory<PathService> | undefined;
  if (!factory) throw new UnsupportedConfigError(`${context.where}: the "${service.type}" path service is not available in this build`);
  return factory(service, context);
}
