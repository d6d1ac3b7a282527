import type { ListenerConfig } from '../../config/model.js';
import { defaultOpenHandshakeTimeoutMs } from '../../config/schema-websocket.js';
import { defaultRequestBodyTimeoutMs } from '../../config/schema-web-services.js';
import { InternalSession } from '../../router/internal-session.js';
import { connectionAuthid, PusherApp, type SessionSource } from '../../transport/pusher/app.js';
import { PusherHttpApi } from '../../transport/pusher/http-api.js';
import { PusherSocketService } from '../../transport/pusher/socket-service.js';
import { UnsupportedConfigError } from '../auth-wiring.js';
import type { Listener, ServedUrl } from '../listener-types.js';
import { authorityOf, portOf } from '../socket-server.js';
import { clientAddressReader } from '../web/client-address.js';
import { BridgeSession } from '../web/http-bridge/bridge-session.js';
import { HttpListener, type PathHandler } from '../web/listener.js';
import type { NodeContext } from '../web/service-context.js';
import { pusherMeta } from './members-meta.js';
import { PusherWebhooks } from './webhooks.js';


/**
 * A `pusher` transport: an HTTP(S) server (the same listener as web transports, so TLS and
 * request timeouts are shared) with the Pusher WebSocket protocol at /app/{key} and the HTTP API
 * at /apps/{id}/. Every Pusher connection is an ordinary session of its app's realm.
 */
export async function pusherListener(config: ListenerConfig, node: NodeContext): Promise<Listener> {
  const settings = config.pusher!;
  const log = node.log.child({ transport: config.id });
  const attach = node.router.attach.bind(node.router);
  const webhooks: PusherWebhooks[] = [];
  const apiSessions = new Map<string, BridgeSession>();
  const appsByKey = new Map<string, PusherApp>();
  const appsById = new Map<string, PusherApp>();
  const stopAll = async (): Promise<void> => {
    for (const app of appsById.values()) app.stop();
    await Promise.all([...apiSessions.values()].map((session) => session.close()));
    pusherMeta(node).remove(config.id);
    await Promise.all(webhooks.map((sink) => sink.stop()));
  };

  try {
    for (const appConfig of settings.apps) {
      const realm = node.config.realms.find((candidate) => candidate.name === appConfig.realm);
      if (!realm) throw new UnsupportedConfigError(`transport "${config.id}" app "${appConfig.id}": realm "${appConfig.realm}" is not configured`);
      // An app without webhooks opens no outbox (and writes nothing to the data folder).
      let sink: PusherWebhooks | undefined;
      if (appConfig.webhooks.length > 0) {
        sink = PusherWebhooks.open(appConfig, config.id, node, log);
        webhooks.push(sink);
      }
      const { webhooks: _webhooks, ...appSettings } = appConfig;
      // In a cluster, presence and channels are shared with the other nodes (docs/pusher.md#clusters).
      const backplane = node.router.backplane;
      const app = new PusherApp({ ...appSettings, strictUris: realm.options.uriCheck === 'strict' }, sink, backplane && { link: backplane, transportId: config.id });
      appsByKey.set(app.settings.key, app);
      appsById.set(app.settings.id, app);
      const bridge = new BridgeSession(() => node.joinBridgeSession(app.settings.realm, app.settings.role, `pusher:${app.settings.id}`), () => node.state() === 'stopping', app.settings.realm, log);
      apiSessions.set(app.settings.id, bridge);
      await bridge.start(`transport "${config.id}" app "${app.settings.id}"`);
    }
    await pusherMeta(node).add(config.id, [...appsById.values()]);
  } catch (error) {
    await stopAll();
    throw error;
  }

  const sessions: SessionSource = {
    connection: (app, socketId, transport) =>
      InternalSession.join(attach, app.realm, { authid: connectionAuthid(socketId), authrole: app.role, authmethod: 'pusher', authprovider: 'junction' }, { trusted: false, transport }),
    api: (app) => apiSessions.get(app.id)!.get(),
  };
  const clientAddress = clientAddressReader(config.trustedProxies);
  const limits = { ...settings, maxNestingDepth: node.config.maxNestingDepth };
  const sockets = new PusherSocketService(appsByKey, sessions, limits, clientAddress, log, node.metrics);
  const api = new PusherHttpApi(appsById, sessions, limits, log, node.metrics);
  const handlers = new Map<string, PathHandler>([
    // Pusher clients connect from any origin with an app key, and the HTTP API is signed: no Host check.
    ['/app', {
      hostCheck: 'none', upgradeRequired: 'This is a Pusher Channels WebSocket path: connect with a Pusher client (pusher-js, Laravel Echo) to /app/{key}.',
      upgrade: (request, socket, head, subpath) => sockets.handleUpgrade(request, socket, head, subpath), servesBelow: true, close: () => sockets.closeAll(),
    }],
    ['/apps', { hostCheck: 'none', request: (request, response, subpath) => api.handle(request, response, subpath), servesBelow: true }],
  ]);
  const http = new HttpListener(config, handlers, { headersMs: defaultOpenHandshakeTimeoutMs, bodyMs: config.requestBodyTimeoutMs ?? defaultRequestBodyTimeoutMs }, log, node.metrics, node.ports);
  let served: ServedUrl[] = [];
  return {
    server: http.server,
    served: () => served,
    // A changed pusher transport is reported by the config diff as needing a restart.
    update: async () => [],
    listen: async () => {
      const address = await http.listen();
      const authority = authorityOf(address);
      served = [
        { url: `${http.secure ? 'wss' : 'ws'}://${authority}/app/{key}`, service: 'pusher' },
        { url: `${http.secure ? 'https' : 'http'}://${authority}/apps/{app_id}/`, service: 'pusher-api' },
      ];
      return { port: portOf(address), served };
    },
    close: async () => {
      await http.close();
      await stopAll();
    },
  };
}
