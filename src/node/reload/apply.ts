import type { JunctionConfig } from '../../config/model.js';
import { startChangedComponents, stopChangedComponents } from './apply-components.js';
import { applyListeners } from './apply-listeners.js';
import { applyRealms } from './apply-realms.js';
import { diffConfig } from './config-diff.js';
import type { NodeParts, ReloadLog } from './node-parts.js';

export interface ReloadReport {
  /** What changed, one line each (empty: the file says what already runs). */
  applied: string[];
  /** What was not applied, one line each: parts that need a restart, and parts that failed with why. */
  notApplied: string[];
  /** The configuration now running: the new one, with what was not applied as it was. */
  running: JunctionConfig;
}

/**
 * Applies a validated configuration to a running node, part by part, in an order where nothing
 * refers to a part that is gone: components that go or change stop first; then realms (added,
 * changed, removed), transports, and last the components that come or change. A part that
 * fails is reported and left as it was; the others still apply.
 */
export async function applyConfig(parts: NodeParts, current: JunctionConfig, next: JunctionConfig): Promise<ReloadReport> {
  const diff = diffConfig(current, next);
  const applied: string[] = [];
  const notApplied: string[] = [...diff.fixed];
  const log: ReloadLog = { applied: (line) => applied.push(line), notApplied: (line) => notApplied.push(line) };
  const target = withoutFixedChanges(current, next);
  parts.context.config = target;

  await stopChangedComponents(parts, diff, log);
  await applyRealms(parts, diff, target, log);
  const listeners = await applyListeners(parts, diff, target, log);
  const components = await startChangedComponents(parts, diff, target, log);
  const guestsApplied = await applyGuests(parts, target, log);

  const running: JunctionConfig = {
    ...target,
    listeners: target.listeners.flatMap((listener) => listeners.get(listener.id) ?? []),
    components: target.components.filter((component) => components.has(component)),
    ...(guestsApplied ? { guests: target.guests, routerPython: target.routerPython } : { guests: current.guests, routerPython: current.routerPython }),
  };
  parts.context.config = running;
  return { applied, notApplied, running };
}

/** The new configuration with the parts that cannot change live (diff.fixed) as they run now. */
function withoutFixedChanges(current: JunctionConfig, next: JunctionConfig): JunctionConfig {
  const realmBefore = new Map(current.realms.map((realm) => [realm.name, realm]));
  const listenerBefore = new Map(current.listeners.map((listener) => [listener.id, listener]));
  return {
    ...next,
    signIn: current.signIn,
    shutdownTriggers: current.shutdownTriggers,
    realms: next.realms.map((realm) => {
      const before = realmBefore.get(realm.name);
      if (!before) return realm;
      return { ...realm, store: before.store, options: { ...realm.options, enableMetaApi: before.options.enableMetaApi, stats: before.options.stats } };
    }),
    listeners: next.listeners.map((listener) => {
      const before = listenerBefore.get(listener.id);
      if (!before) return listener;
      if (before.kind !== listener.kind) return before;
      return { ...listener, endpoint: before.endpoint };
    }),
  };
}

/** Guests (and router workers' Python components) last, once the router serves what they connect to; one that cannot start leaves every guest as it was. */
async function applyGuests(parts: NodeParts, next: JunctionConfig, log: ReloadLog): Promise<boolean> {
  try {
    for (const line of await parts.guests.apply([...next.guests, ...(await parts.routerPython.guests(next.routerPython))])) log.applied(line);
    return true;
  } catch (error) {
    log.notApplied(`guest workers: ${(error as Error).message}`);
    return false;
  }
}
