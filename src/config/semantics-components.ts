/**
 * Cross-checks of components: the realm a component joins exists; the role a bridge or process
 * component acts as exists in that realm; ids are unique (they name outbox folders and log
 * lines); configured URIs pass the realm's URI check.
 */

import { matchPolicies, type MatchPolicy } from '../protocol/uri.js';
import { problem, type ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';
import { bridgeKindOf } from './schema-components.js';
import { entries, isRecord, type Entry, type RealmReferences } from './semantics-realms.js';
import { resolvePermissionUri } from './uri-patterns.js';

/** Junction's own component types: run by the node, in a realm and role that must exist. */
const junctionComponentTypes = ['process', 'zeromq', 'stdio'];

export function checkComponents(workers: readonly Entry[], refs: RealmReferences, problems: ConfigProblem[]): void {
  const ids = new Map<string, ConfigPath>();
  for (const worker of workers) {
    for (const component of entries(worker.value.components, [...worker.path, 'components'])) {
      const { value, path } = component;
      if (typeof value.id === 'string') {
        const first = ids.get(value.id);
        if (first === undefined) ids.set(value.id, [...path, 'id']);
        else problems.push(problem('config.id.duplicate', [...path, 'id'], 'component id', value.id, first));
      }
      const bridge = junctionComponentTypes.includes(value.type as string) || (value.type === 'class' && typeof value.classname === 'string' && bridgeKindOf(value.classname) !== undefined);
      // A container's Python component may reach another router through its transport; Junction cannot check that realm.
      if (worker.value.type !== 'router' && !bridge) continue;
      if (refs.realm(value.realm, [...path, 'realm']) === undefined) continue;
      // A router's Python component joins with its role (default "anonymous", which every realm accepts: auth/gate.ts).
      if (bridge || value.role !== 'anonymous') refs.role(value.realm, value.role, [...path, 'role']);
      if (bridge) checkRouterUris(value, path, refs);
    }
  }
}

/** Whether a router worker runs Python components: they are its clients, even with no transport (router-python.ts). */
export function runsPythonComponents(router: Entry): boolean {
  return entries(router.value.components, []).some(({ value }) =>
    value.type === 'function' || (value.type === 'class' && typeof value.classname === 'string' && bridgeKindOf(value.classname) === undefined));
}

function checkRouterUris(component: Record<string, unknown>, path: ConfigPath, refs: RealmReferences): void {
  if (component.type === 'process') {
    refs.routerUri(component.realm, component.procedure, 'exact', [...path, 'procedure']);
    return;
  }
  const extra = component.extra;
  if (!isRecord(extra)) return;
  refs.routerUri(component.realm, extra.procedure, 'exact', [...path, 'extra', 'procedure']);
  for (const subscription of entries(extra.subscriptions, [...path, 'extra', 'subscriptions'])) {
    const { topic, match } = subscription.value;
    if (typeof topic !== 'string') continue;
    if (match !== undefined && !matchPolicies.includes(match as MatchPolicy)) continue; // the schema reports it
    const resolved = resolvePermissionUri(topic, match as MatchPolicy | undefined);
    if (resolved.ok) refs.routerUri(component.realm, resolved.uri, resolved.match, [...subscription.path, 'topic']);
  }
}
