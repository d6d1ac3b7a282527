import type { JunctionConfig, ListenerConfig } from '../../config/model.js';
import { meterConnections } from '../connection-meter.js';
import { buildListener } from '../listeners.js';
import { checkTlsFiles, listenFailure } from '../startup-errors.js';
import type { NodeParts, ReloadLog } from './node-parts.js';
import type { ConfigDiff, ListenerChange } from './config-diff.js';

/**
 * Transports: removed ones close (their connections end), changed ones rebuild the paths (and
 * RawSocket side) whose settings changed and swap them in, added ones are built and listen.
 * Returns the configuration each listener of `target` now runs with; one that failed keeps
 * running as it was (or, when added, is absent) and is reported.
 */
export async function applyListeners(parts: NodeParts, diff: ConfigDiff, target: JunctionConfig, log: ReloadLog): Promise<Map<string, ListenerConfig>> {
  const running = new Map(target.listeners.map((listener) => [listener.id, listener]));
  for (const config of diff.listeners.removed) {
    const listener = parts.listeners.get(config.id);
    parts.listeners.delete(config.id);
    parts.ports.delete(config.id);
    await listener?.close();
    log.applied(`transport "${config.id}" closed (removed)`);
  }
  for (const change of withStalePaths(parts, diff, target)) {
    const id = change.after.id;
    const what = [
      ...listed('paths added', change.pathsAdded),
      ...listed('paths removed', change.pathsRemoved),
      ...listed('paths rebuilt', change.pathsChanged),
      ...(change.rawsocketChanged ? ['RawSocket settings changed'] : []),
      ...(change.allowedHostsChanged ? ['allowed_hosts changed'] : []),
    ].join('; ');
    try {
      const kept = await parts.listeners.get(id)!.update(change, parts.context);
      if (what !== '') log.applied(`transport "${id}": ${what}`);
      for (const line of kept) log.notApplied(line);
    } catch (error) {
      running.set(id, change.before);
      log.notApplied(`transport "${id}": ${what}: not applied: ${(error as Error).message}`);
    }
  }
  for (const config of diff.listeners.added) {
    try {
      // As at start: a TLS file that is not usable is named, with its setting and fault.
      checkTlsFiles([config]);
      const listener = await buildListener(config, parts.context);
      meterConnections(listener.server, config.id, parts.context.metrics);
      const bound = await listener.listen().catch(async (error: unknown) => {
        await listener.close();
        throw error;
      });
      parts.listeners.set(config.id, listener);
      parts.ports.set(config.id, bound.port);
      log.applied(`transport "${config.id}" added: ${bound.served.map((served) => served.url).join(', ')}`);
    } catch (error) {
      running.delete(config.id);
      log.notApplied(`transport "${config.id}" could not be added: ${listenFailure(error)}`);
    }
  }
  return running;
}

/**
 * The changed listeners, plus the paths whose service stopped running (a WSGI app that exited):
 * as a container worker's process is started again by a reload, a reload rebuilds them.
 */
function withStalePaths(parts: NodeParts, diff: ConfigDiff, target: JunctionConfig): ListenerChange[] {
  const changes = new Map(diff.listeners.changed.map((change) => [change.after.id, change]));
  for (const config of target.listeners) {
    const stale = parts.listeners.get(config.id)?.stalePaths?.() ?? [];
    const change = changes.get(config.id);
    const rebuilt = stale.filter((path) => config.paths[path] !== undefined && !change?.pathsChanged.includes(path));
    if (rebuilt.length === 0) continue;
    changes.set(config.id, change === undefined
      ? { before: config, after: config, pathsAdded: [], pathsRemoved: [], pathsChanged: rebuilt, rawsocketChanged: false, mqttChanged: false, requestBodyTimeoutChanged: false, allowedHostsChanged: false }
      : { ...change, pathsChanged: [...change.pathsChanged, ...rebuilt] });
  }
  return [...changes.values()];
}

function listed(label: string, paths: readonly string[]): string[] {
  return paths.length === 0 ? [] : [`${label} ${paths.join(', ')}`];
}
