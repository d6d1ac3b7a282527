import { codecByName } from '../../codec/index.js';
import type { WebSocketService as WebSocketPathConfig } from '../../config/model.js';
import { InternalSession } from '../../router/internal-session.js';
import { UriMapping } from '../../transport/wamp1/uri-mapping.js';
import { serveWamp1 } from '../../transport/wamp1/wamp1-connection.js';
import { WebSocketService, type WebSocketServiceOptions } from '../../transport/websocket-service.js';
import { UnsupportedConfigError } from '../auth-wiring.js';
import { cookieAuth } from './cookie-auth.js';
import { packageVersion } from '../package-version.js';
import { randomId } from '../../protocol/ids.js';
import type { TransportInfo } from '../../router/peer.js';
import type { PathServiceFactory, ServiceContext } from './service-context.js';

/** WAMP over WebSocket at a path: the same options and auth as a standalone websocket transport. */
export const websocketPath: PathServiceFactory<WebSocketPathConfig> = async (service, context) => {
  const cookies = service.cookieAuth === undefined ? undefined
    : await cookieAuth(service.cookieAuth, service.options, context.cookieJars, context.where, { transport: context.listener.id, path: context.path }, context.log.child({ part: 'cookie' }));
  let ws: WebSocketService;
  try {
    const gate = context.auth.gate(service.auth, context.where, cookies && { method: cookies.signIn.method(), observer: cookies.signIn });
    const { wamp1, ...transportOptions } = service.options;
    // One object for every connection's sessions (a SessionSeries keeps it).
    const attachOptions = { helloTimeoutMs: service.options.openHandshakeTimeout, sessionSeries: true };
    ws = new WebSocketService(
      (peer) => context.router.attach(peer, gate, attachOptions),
      {
        ...transportOptions,
        codecs: service.serializers.map(codecByName),
        clientAddress: context.clientAddress,
        maxNestingDepth: context.config.maxNestingDepth,
        ...(wamp1 === undefined ? {} : { wamp1Door: wamp1Door(service, context) }),
        ...(cookies === undefined ? {} : { cookies: cookies.cookies }),
      },
      context.log,
      context.metrics,
    );
  } catch (error) {
    // A handler that is not built holds no jar: the one it would replace keeps its own.
    await cookies?.close();
    throw error;
  }
  return {
    // Any page may connect from its own origin unless allowed_origins narrows it: that decides, not the Host.
    hostCheck: 'none',
    upgrade: (request, socket, head) => ws.handleUpgrade(request, socket, head),
    openSessions: () => ws.connectionCount,
    close: () => {
      ws.closeAll();
      return cookies?.close();
    },
  };
};

/**
 * WAMP v1 on this path: each v1 client becomes an ordinary session of the configured realm and
 * role (untrusted, held to the realm's limits), so v1 pages, v2 clients and bridges meet there.
 */
function wamp1Door(service: WebSocketPathConfig, context: ServiceContext): NonNullable<WebSocketServiceOptions['wamp1Door']> {
  const options = service.options.wamp1!;
  const realm = context.config.realms.find((candidate) => candidate.name === options.realm);
  if (!realm) throw new UnsupportedConfigError(`${context.where}: options.wamp1.realm "${options.realm}" is not a configured realm`);
  if (!realm.roles.some((role) => role.name === options.role)) {
    throw new UnsupportedConfigError(`${context.where}: options.wamp1.role "${options.role}" is not a role of realm "${options.realm}"`);
  }
  const settings = { mapping: new UriMapping(options.uris), maxPrefixes: options.maxPrefixes, maxBufferedBytes: service.options.maxBufferedBytes, serverIdent: `Junction/${packageVersion()}`,
    maxNestingDepth: context.config.maxNestingDepth };
  const attach = context.router.attach.bind(context.router);
  const slowConsumers = context.metrics.counter('junction_ws_slow_consumer_closed_total', 'Connections closed (1008) because their send buffer passed its limit');
  const tooManyPrefixes = context.metrics.counter('junction_wamp1_prefix_limit_closed_total', 'WAMP v1 connections closed for defining more than max_prefixes prefixes');
  const hooks = {
    join: (transport: TransportInfo) => InternalSession.join(attach, options.realm,
      { authid: `wamp1-${randomId().toString(36)}`, authrole: options.role, authmethod: 'anonymous', authprovider: 'wamp1' }, { trusted: false, transport }),
    onSlowConsumer: () => slowConsumers.inc(),
    onTooManyPrefixes: () => tooManyPrefixes.inc(),
  };
  return (ws, transport, log) => serveWamp1(ws, transport, settings, hooks, log);
}
