import { readFileSync } from 'node:fs';
import type { ListenerConfig, NodeInfoService } from '../../config/model.js';
import { methodAllowed, sendBody } from './http-reply.js';
import type { NodeContext, PathServiceFactory } from './service-context.js';

/**
 * JSON facts about the node for operators and dashboards: version, start time, uptime, realms
 * with their client session counts, and the transports with the type of each path. Built from
 * names and counts only: no auth settings, secrets, file paths or addresses ever go in it.
 */
export const nodeInfoPath: PathServiceFactory<NodeInfoService> = (_service, context) => {
  const version = packageVersion();
  return {
    request: (request, response) => {
      if (!methodAllowed(request, response)) return;
      sendBody(response, 200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      }, JSON.stringify(nodeInfo({ ...context, config: context.runningConfig() }, version)));
    },
  };
};

export interface NodeInfo {
  name: 'junction';
  version: string;
  /** ISO 8601. */
  started: string;
  uptime_seconds: number;
  realms: { name: string; sessions: number }[];
  transports: { id: string; kind: ListenerConfig['kind']; paths: Record<string, string> }[];
}

export function nodeInfo(context: Pick<NodeContext, 'router' | 'config' | 'startedAt'>, version: string, now = Date.now()): NodeInfo {
  const { router, config, startedAt } = context;
  return {
    name: 'junction',
    version,
    started: startedAt.toISOString(),
    uptime_seconds: Math.max(0, Math.floor((now - startedAt.getTime()) / 1000)),
    realms: router.realmNames().map((name) => ({ name, sessions: router.realm(name)?.sessionCounts().client ?? 0 })),
    transports: config.listeners.map((listener) => ({
      id: listener.id,
      kind: listener.kind,
      paths: Object.fromEntries(Object.entries(listener.paths).map(([path, service]) => [path, service.type])),
    })),
  };
}

/** Junction's version from package.json (four levels above dist/src/node/web); "unknown" if unreadable. */
export function packageVersion(): string {
  try {
    const url = new URL('../../../../package.json', import.meta.url);
    return String((JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}
