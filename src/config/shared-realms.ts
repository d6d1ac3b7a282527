/**
 * Crossbar's SMP setup (crossbar-examples rlinks/smp_setup): several router workers each define
 * the same realm and link their copies with `rlinks`, so that one realm spans several processes.
 * Junction runs one router, so a realm that several router workers define is one realm: its
 * definitions must be the same, apart from their links (each copy links to its siblings) and ids.
 */

import type { RouterWorkerFile } from './file-schema.js';
import { notice } from './notices.js';
import { problem, type ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';
import type { RealmFile } from './schema-router.js';
import { entries, type Entry } from './semantics-realms.js';
import { firstDifference } from './shared-ports.js';

/**
 * The router workers' realms, one per name. A later definition of a name in another worker is the
 * same realm when nothing but its rlinks and id differ, else a problem naming where; two in one
 * worker are a duplicate, as in Crossbar.
 */
export function uniqueRealms(routers: readonly Entry[], problems: ConfigProblem[]): Entry[] {
  const firstByName = new Map<string, { realm: Entry; worker: Entry }>();
  const unique: Entry[] = [];
  for (const worker of routers) {
    const inWorker = new Map<string, ConfigPath>();
    for (const realm of entries(worker.value.realms, [...worker.path, 'realms'])) {
      const name = realm.value.name;
      if (typeof name !== 'string') continue;
      const at = [...realm.path, 'name'];
      const sameWorker = inWorker.get(name);
      if (sameWorker !== undefined) {
        problems.push(problem('config.name.duplicate', at, 'realm name', name, sameWorker));
        continue;
      }
      inWorker.set(name, at);
      const first = firstByName.get(name);
      if (first === undefined) {
        firstByName.set(name, { realm, worker });
        unique.push(realm);
        continue;
      }
      const differsAt = realmDifference(first.realm, realm);
      if (differsAt !== undefined) problems.push(problem('config.realm.differs', at, name, first.realm.path, differsAt));
    }
  }
  return unique;
}

/** Where a later definition of a realm differs from the first (its path in the file), apart from rlinks and the id. */
function realmDifference(first: Entry, later: Entry): ConfigPath | undefined {
  const { rlinks: _firstLinks, id: _firstId, ...a } = first.value;
  const { rlinks: _laterLinks, id: _laterId, ...b } = later.value;
  return firstDifference(a, b, later.path);
}

/** A realm as normalize reads it: its first definition, and every router worker's copy of it (the first included). */
export interface SharedRealm {
  realm: RealmFile;
  at: ConfigPath;
  copies: { realm: RealmFile; at: ConfigPath }[];
}

/** The router workers' realms, one per name (the cross-checks made sure the copies are the same), with a notice for each later copy. */
export function realmsOnce(routers: readonly { router: RouterWorkerFile; at: ConfigPath }[], notices: string[]): SharedRealm[] {
  const byName = new Map<string, SharedRealm>();
  for (const { router, at: workerAt } of routers) {
    router.realms.forEach((realm, index) => {
      const at: ConfigPath = [...workerAt, 'realms', index];
      const first = byName.get(realm.name);
      if (first === undefined) {
        byName.set(realm.name, { realm, at, copies: [{ realm, at }] });
        return;
      }
      first.copies.push({ realm, at });
      notices.push(notice('config.notice.realm_merged', at, first.at));
    });
  }
  return [...byName.values()];
}
