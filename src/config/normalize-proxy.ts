/**
 * Crossbar's proxy workers, served by the router itself: their transports become the router's
 * (one listener per endpoint: Crossbar's shared port), each sign-in on them held to the worker's
 * routes. Their connections are not opened (the cross-checks made sure they name this node).
 */

import type { ConfigFile, ProxyWorkerFile } from './file-schema.js';
import type { WorkerPython } from './model.js';
import type { TransportToListen } from './normalize-listeners.js';
import { notice } from './notices.js';
import type { ConfigPath } from './problems.js';
import { openedBefore } from './shared-ports.js';

/** The proxy workers' transports to listen on, in file order; a later one on an endpoint already opened is the same (checked) and merged. */
export function proxyTransports(file: ConfigFile, python: WorkerPython, notices: string[]): TransportToListen[] {
  const opened = new Map<string, ConfigPath>();
  const result: TransportToListen[] = [];
  file.workers.forEach((worker, index) => {
    if (worker.type !== 'proxy') return;
    const at: ConfigPath = ['workers', index];
    notices.push(notice('config.notice.proxy_served', at));
    const routes = routeTable(worker.routes);
    worker.transports.forEach((transport, position) => {
      const where = [...at, 'transports', position];
      const first = openedBefore(opened, transport.endpoint, where);
      if (first === undefined) result.push({ transport, where, python, routes });
      else notices.push(notice('config.notice.proxies_merged', where, first));
    });
  });
  return result;
}

/** realm -> the roles routed (to whichever connection: all of them are this router). */
function routeTable(routes: ProxyWorkerFile['routes']): Record<string, readonly string[]> {
  const table: Record<string, readonly string[]> = Object.create(null);
  for (const [realm, roles] of Object.entries(routes)) table[realm] = Object.keys(roles);
  return table;
}
