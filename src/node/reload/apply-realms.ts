import type { JunctionConfig } from '../../config/model.js';
import { ErrorUri } from '../../protocol/errors.js';
import { realmSettings } from '../realm-settings.js';
import type { NodeParts, ReloadLog } from './node-parts.js';
import type { ConfigDiff, RealmChange } from './config-diff.js';
import { plural } from '../../protocol/plural.js';

/** A session told GOODBYE by a reload (its realm or role went away) that has not answered by then is disconnected. */
export const goodbyeAnswerMs = 5_000;

/** The GOODBYE message of a session whose realm a reload removed. */
export function realmRemovedMessage(realm: string): string {
  return `realm "${realm}" was removed from the router's configuration`;
}

/** The GOODBYE message of a session whose role a reload removed. */
export function roleRemovedMessage(realm: string, role: string): string {
  return `role "${role}" was removed from realm "${realm}" in the router's configuration`;
}

/**
 * Realms: added ones open (with their meta API), changed ones take their new roles, permissions,
 * URI rule and limits in place (their sessions stay; a fresh authorizer means no cached decision
 * outlives its permissions), removed ones close. A session that loses its realm gets GOODBYE
 * wamp.close.close_realm; one that loses its role gets GOODBYE junction.close.role_removed.
 */
export async function applyRealms(parts: NodeParts, diff: ConfigDiff, target: JunctionConfig, log: ReloadLog): Promise<void> {
  const { router, auth } = parts;
  // Sign-ins check roles against the new realms from now on.
  auth.setRealms(target.realms);
  for (const realm of diff.realms.added) {
    await router.addRealm(await realmSettings(auth, realm, parts.context.historyStores));
    log.applied(`realm "${realm.name}" added`);
  }
  for (const change of diff.realms.changed) applyRealmChange(parts, change, log);
  for (const realm of diff.realms.removed) {
    const sessions = router.realm(realm.name)?.sessions.size ?? 0;
    router.removeRealm(realm.name, ErrorUri.closeRealm, realmRemovedMessage(realm.name), goodbyeAnswerMs);
    log.applied(`realm "${realm.name}" removed (${plural(sessions, 'session')} closed)`);
  }
}

function applyRealmChange(parts: NodeParts, change: RealmChange, log: ReloadLog): void {
  const { after } = change;
  const realm = parts.router.realm(after.name);
  if (!realm) return;
  const { authorizer, uriCheck, limits } = parts.auth.realmSettings(after);
  realm.reconfigure({ authorizer, uriCheck, limits });
  const removed = new Set(change.rolesRemoved);
  let closed = 0;
  for (const session of [...realm.sessions.values()]) {
    if (!removed.has(session.authrole)) continue;
    session.goodbye(ErrorUri.roleRemoved, roleRemovedMessage(after.name, session.authrole), goodbyeAnswerMs);
    closed++;
  }
  const what: string[] = [];
  if (change.rolesAdded.length > 0) what.push(`roles added: ${change.rolesAdded.join(', ')}`);
  if (change.rolesRemoved.length > 0) what.push(`roles removed: ${change.rolesRemoved.join(', ')} (${plural(closed, 'session')} closed)`);
  if (change.rolesChanged.length > 0) what.push(`permissions changed: ${change.rolesChanged.join(', ')}`);
  if (change.uriCheckChanged) what.push(`uri_check is now ${after.options.uriCheck}`);
  if (change.limitsChanged) what.push('limits changed');
  log.applied(`realm "${after.name}": ${what.join('; ')}`);
}
