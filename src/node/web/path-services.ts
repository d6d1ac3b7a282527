import type { PathService } from '../../config/model.js';
import { UnsupportedConfigError } from '../auth-wiring.js';
import { onDemand, type FeatureModule } from '../on-demand.js';
import type { PathHandler } from './listener.js';
import type { PathServiceFactory, ServiceContext } from './service-context.js';

type Factories = { [Type in PathService['type']]?: FeatureModule<PathServiceFactory<Extract<PathService, { type: Type }>>> };

/** The module of one path service type, loaded when a configuration first has that type. */
function pathModule<S extends PathService>(type: S['type'], load: () => Promise<PathServiceFactory<S>>): FeatureModule<PathServiceFactory<S>> {
  return onDemand(`the "${type}" path service`, load);
}

/** Each path service type and the module that serves it. */
const factories: Factories = {
  websocket: pathModule('websocket', async () => (await import('./websocket-path.js')).websocketPath),
  static: pathModule('static', async () => (await import('./static.js')).staticPath),
  json: pathModule('json', async () => (await import('./json-value.js')).jsonValuePath),
  redirect: pathModule('redirect', async () => (await import('./redirect.js')).redirectPath),
  nodeinfo: pathModule('nodeinfo', async () => (await import('./nodeinfo.js')).nodeInfoPath),
  health: pathModule('health', async () => (await import('./health.js')).healthPath),
  metrics: pathModule('metrics', async () => (await import('./metrics-path.js')).metricsPath),
  longpoll: pathModule('longpoll', async () => (await import('./longpoll-path.js')).longpollPath),
  sse: pathModule('sse', async () => (await import('./sse-path.js')).ssePath),
  mqtt: pathModule('mqtt', async () => (await import('./mqtt-path.js')).mqttPath),
  publisher: pathModule('publisher', async () => (await import('./http-bridge/index.js')).httpPublisher),
  caller: pathModule('caller', async () => (await import('./http-bridge/index.js')).httpCaller),
  webhook: pathModule('webhook', async () => (await import('./http-bridge/index.js')).httpWebhook),
  console: pathModule('console', async () => (await import('./console-path.js')).consolePath),
  'websocket-reverseproxy': pathModule('websocket-reverseproxy', async () => (await import('./websocket-proxy-path.js')).websocketProxyPath),
  'websocket-testee': pathModule('websocket-testee', async () => (await import('./websocket-testee-path.js')).websocketTesteePath),
  reverseproxy: pathModule('reverseproxy', async () => (await import('./reverseproxy-path.js')).reverseProxyPath),
  wsgi: pathModule('wsgi', async () => (await import('./python-app-path.js')).pythonAppPath),
  resource: pathModule('resource', async () => (await import('./python-app-path.js')).pythonAppPath),
  wap: pathModule('wap', async () => (await import('./wap-path.js')).wapPath),
  cgi: pathModule('cgi', async () => (await import('./cgi/cgi-path.js')).cgiPath),
  upload: pathModule('upload', async () => (await import('./upload/upload-path.js')).uploadPath),
  archive: pathModule('archive', async () => (await import('./archive-path.js')).archivePath),
};

/** Builds the handler for one path of a web transport, loading its service type's module the first time. */
export async function buildPathHandler(service: PathService, context: ServiceContext): Promise<PathHandler> {
  const factory = factories[service.type] as FeatureModule<PathServiceFactory<PathService>> | undefined;
  if (!factory) throw new UnsupportedConfigError(`${context.where}: the "${service.type}" path service is not available in this build`);
  return (await factory(context.where))(service, context);
}
