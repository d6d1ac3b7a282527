import type { ListenerConfig } from '../config/model.js';
import { defaultRequestBodyTimeoutMs } from '../config/schema-web-services.js';
import { defaultOpenHandshakeTimeoutMs } from '../config/schema-websocket.js';
import type { Logger } from '../router/log.js';
import { rawSocketFirstOctet, type RawSocketAcceptor } from '../transport/rawsocket/sniff.js';
import type { Listener, ServedUrl } from './listener-types.js';
import { onDemand } from './on-demand.js';
import { SwappableAcceptor } from './swappable-acceptor.js';
import { authorityOf, portOf } from './socket-server.js';
import { clientAddressReader } from './web/client-address.js';
import type { HttpTimeouts } from './web/http-timeouts.js';
import { HttpListener, type PathHandler } from './web/listener.js';
import { buildPathHandler } from './web/path-services.js';
import { pathWhere } from './web/path-where.js';
import type { NodeContext, ServiceContext } from './web/service-context.js';

/** The doors other than the web transport's, each loaded when a configuration first has one. */
const rawSocketDoor = onDemand('the RawSocket transport', () => import('./rawsocket-listener.js'));
const mqttDoor = onDemand('the MQTT transport', async () => ({ ...await import('./mqtt-listener.js'), firstOctet: (await import('../transport/mqtt/connection.js')).mqttFirstOctet }));
const pusherDoor = onDemand('the Pusher transport', () => import('./pusher/pusher-listener.js'));
const pseudoDoors = onDemand('the test transports', () => import('./pseudo-listeners.js'));

export async function buildListener(config: ListenerConfig, node: NodeContext): Promise<Listener> {
  const where = `transport "${config.id}"`;
  if (config.kind === 'rawsocket') return (await rawSocketDoor(where)).rawSocketListener(config, node);
  if (config.kind === 'mqtt') return (await mqttDoor(where)).mqttListener(config, node);
  if (config.kind === 'pusher') return (await pusherDoor(where)).pusherListener(config, node);
  if (config.kind === 'flashpolicy') return (await pseudoDoors(where)).flashPolicyListener(config, node);
  if (config.kind === 'stream-testee') return (await pseudoDoors(where)).streamTesteeListener(config, node);
  const log = node.log.child({ transport: config.id });
  // A universal listener also speaks RawSocket and MQTT to connections that open with their first octet.
  const rawSocketPart = config.kind === 'universal' && config.rawsocket ? await rawSocketDoor(where) : undefined;
  const mqttPart = config.kind === 'universal' && config.mqtt ? await mqttDoor(where) : undefined;
  const handlers = await buildPaths(config, Object.keys(config.paths), node, log);
  const unixPath = config.endpoint.type === 'unix' ? config.endpoint.path : undefined;
  const rawsocket = rawSocketPart && new SwappableAcceptor(rawSocketPart.rawSocketAcceptor(config, node, unixPath));
  const diverted = new Map<number, RawSocketAcceptor>();
  if (rawsocket) diverted.set(rawSocketFirstOctet, rawsocket);
  const mqtt = mqttPart && new SwappableAcceptor(mqttPart.mqttAcceptor(config, node, unixPath));
  if (mqtt && mqttPart) diverted.set(mqttPart.firstOctet, mqtt);
  const timeouts = listenerTimeouts(config);
  const http = new HttpListener(config, handlers, timeouts, log, node.metrics, node.ports, diverted);
  let current = config;
  let authority: string | undefined;

  const served = (): ServedUrl[] => {
    if (authority === undefined) return [];
    const urls: ServedUrl[] = Object.entries(current.paths).map(([path, service]) => {
      const upgrade = service.type === 'websocket' || service.type === 'mqtt' || service.type === 'websocket-reverseproxy' || service.type === 'websocket-testee';
      const scheme = upgrade ? (http.secure ? 'wss' : 'ws') : (http.secure ? 'https' : 'http');
      return { url: `${scheme}://${authority}${path}`, service: service.type };
    });
    if (rawsocket) urls.push({ url: `${http.secure ? 'rss' : 'rs'}://${authority}`, service: 'rawsocket' });
    if (mqtt) urls.push({ url: `${http.secure ? 'mqtts' : 'mqtt'}://${authority}`, service: 'mqtt' });
    return urls;
  };

  return {
    server: http.server,
    served,
    stalePaths: () => http.stalePaths(),
    close: () => http.close(),
    listen: async () => {
      const address = await http.listen();
      authority = authorityOf(address);
      return { port: portOf(address), served: served() };
    },
    update: async (change, context) => {
      const built = await buildPaths(change.after, [...change.pathsAdded, ...change.pathsChanged], context, log);
      let acceptor;
      let mqttNext;
      try {
        acceptor = rawsocket && rawSocketPart && change.rawsocketChanged ? rawSocketPart.rawSocketAcceptor(change.after, context, unixPath) : undefined;
        mqttNext = mqtt && mqttPart && change.mqttChanged && change.after.mqtt ? mqttPart.mqttAcceptor(change.after, context, unixPath) : undefined;
      } catch (error) {
        await closeAll(built);
        await acceptor?.close();
        throw error;
      }
      current = change.after;
      await Promise.all([
        ...change.pathsRemoved.map((path) => http.setPath(path, undefined)),
        ...[...built].map(([path, handler]) => http.setPath(path, handler)),
      ]);
      if (change.allowedHostsChanged) http.setAllowedHosts(change.after);
      if (acceptor) rawsocket!.swap(acceptor);
      if (mqttNext) mqtt!.swap(mqttNext);
      const kept: string[] = [];
      if (change.mqttChanged && (mqtt === undefined || change.after.mqtt === undefined)) {
        kept.push(`transport "${config.id}": an mqtt part added or removed applies from the next restart (the port's first-octet routing is set when it starts)`);
      }
      const wanted = listenerTimeouts(change.after);
      if (wanted.headersMs === timeouts.headersMs && wanted.bodyMs === timeouts.bodyMs) return kept;
      return [...kept, `transport "${config.id}": its HTTP server keeps the request timeouts it started with (headers ${timeouts.headersMs} ms, body ${timeouts.bodyMs} ms) until a restart, not headers ${wanted.headersMs} ms, body ${wanted.bodyMs} ms (open_handshake_timeout, request_body_timeout)`];
    },
  };
}

/** The handlers of some paths of a web listener; if one cannot be built, those built are closed and the error passed on. */
async function buildPaths(config: ListenerConfig, paths: readonly string[], node: NodeContext, log: Logger): Promise<Map<string, PathHandler>> {
  const clientAddress = clientAddressReader(config.trustedProxies);
  const handlers = new Map<string, PathHandler>();
  try {
    for (const path of paths) {
      const where = pathWhere(config, path);
      const context: ServiceContext = { ...node, log: log.child({ path }), listener: config, path, where, clientAddress };
      handlers.set(path, await buildPathHandler(config.paths[path]!, context));
    }
  } catch (error) {
    await closeAll(handlers);
    throw error;
  }
  return handlers;
}

async function closeAll(handlers: Map<string, PathHandler>): Promise<void> {
  await Promise.all([...handlers.values()].map((handler) => handler.close?.()));
}

/**
 * One port reads every request the same way: its headers within the shortest open_handshake_timeout
 * of its websocket paths (the default without one; a path's 0 lifts only its WAMP opening's limit),
 * its body within request_body_timeout.
 */
export function listenerTimeouts(config: ListenerConfig): HttpTimeouts {
  const handshakes = Object.values(config.paths).flatMap((service) =>
    (service.type === 'websocket' || service.type === 'websocket-reverseproxy' || service.type === 'websocket-testee') && service.options.openHandshakeTimeout > 0 ? [service.options.openHandshakeTimeout] : []);
  return {
    headersMs: handshakes.length > 0 ? Math.min(...handshakes) : defaultOpenHandshakeTimeoutMs,
    bodyMs: config.requestBodyTimeoutMs ?? defaultRequestBodyTimeoutMs,
  };
}
