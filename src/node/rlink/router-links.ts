import type { AuthOptions } from '../../client/auth/types.js';
import type { RouterLinkConfig } from '../../config/model.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { InternalSession } from '../../router/internal-session.js';
import type { Dict } from '../../protocol/messages.js';
import { linkMark } from '../../router/forward-for.js';
import type { Logger } from '../../router/log.js';
import { describeEndpoint } from './dial.js';
import { echoGuard, linkSecrets } from './echo-guard.js';
import { linkLogger } from './link-log.js';
import { loadNodeKey, type NodeKey } from './node-key.js';
import { rlinkMetrics } from './rlink-metrics.js';
import { RouterLink } from './router-link.js';

export const rlinksInClusterRefusal =
  'router links (a realm\'s "rlinks") need a node of its own: with --workers or a "cluster" every process would forward the same traffic (docs/cluster.md)';

function nodeKey(file: string, log: Logger): NodeKey {
  const { key, made } = loadNodeKey(file);
  log.info({ file, public_key: key.publicKey }, made
    ? 'node key made for router links: authorize its public key on the routers they join'
    : 'router links sign in with the node key');
  return key;
}

/** What the link's client session signs in with; `key` reads the node key when first asked. */
function signIn({ auth, authid }: RouterLinkConfig, key: () => NodeKey): AuthOptions {
  if (auth.method === 'cryptosign') return { method: 'cryptosign', ...(authid !== undefined && { authid }), privateKey: key().privateKey };
  return auth;
}

export interface RunningRouterLinks {
  stop(): Promise<void>;
}

/**
 * Starts every realm's router links. They connect in the background (a link to a router that is
 * not up yet keeps trying), so nodes linked to each other can start in any order. The node key
 * is read, or made on first use, only when a link signs in with it.
 */
export function startRouterLinks(
  links: readonly RouterLinkConfig[],
  deps: { joinLocal(realm: string, authid: string, authextra: Dict): Promise<InternalSession>; log: Logger; metrics: MetricsRegistry },
): RunningRouterLinks {
  const meters = rlinkMetrics(deps.metrics);
  if (links.length === 0) return { stop: async () => undefined };
  let key: NodeKey | undefined;
  const readKey = (): NodeKey => (key ??= nodeKey(links[0]!.nodeKeyFile, deps.log));
  const running = links.map((config) => {
    const log = linkLogger(deps.log.child({ rlink: config.id, realm: config.localRealm }), config);
    const { endpoint } = config.transport;
    log.info({ to_realm: config.realm, transport: config.transport.kind, endpoint: describeEndpoint(endpoint), tls: endpoint.kind === 'tcp' && endpoint.tls !== undefined, auth: config.auth.method }, 'starting router link');
    // Its session here carries Crossbar's mark of a link's own session (authextra.rlink): other links see it is no application's.
    const joinLocal = (realm: string, authid: string) => deps.joinLocal(realm, authid, { [linkMark]: config.id });
    const meter = meters.forLink(config.localRealm, config.id);
    return new RouterLink(config, { auth: signIn(config, readKey), joinLocal, log, meter, guard: echoGuard(linkSecrets(config), meter, log) });
  });
  // Started once all are made: a link whose TLS files cannot be read stops the start with none running.
  for (const link of running) link.start();
  return { stop: async () => void (await Promise.all(running.map((link) => link.stop()))) };
}
