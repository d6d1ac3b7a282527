import { anonymousGate } from '../auth/anonymous.js';
import { StaticAuthorizer, type StaticPermission } from '../auth/static-authorizer.js';
import type { AuthConfig, RealmConfig } from '../config/model.js';
import type { AuthGate } from '../router/hooks.js';
import type { RealmSettings } from '../router/realm.js';

/** From configuration to the router's auth seams: each realm's authorizer, each transport's sign-in gate. */

/** Thrown at start-up for a configuration this build cannot run (the message says which part). */
export class UnsupportedConfigError extends Error {}

export function realmSettings(realm: RealmConfig): RealmSettings {
  const roles = new Map<string, StaticPermission[]>();
  for (const role of realm.roles) {
    if (role.authorizer !== undefined) {
      throw new UnsupportedConfigError(
        `realm "${realm.name}" role "${role.name}": dynamic authorizers are not supported by this version yet`);
    }
    roles.set(role.name, (role.permissions ?? []).map((permission) => ({
      uri: permission.uri, match: permission.match, allow: permission.allow, disclose: permission.disclose,
    })));
  }
  return { name: realm.name, authorizer: new StaticAuthorizer(roles), uriCheck: realm.options.uriCheck };
}

export function authGate(auth: AuthConfig, where: string): AuthGate {
  const methods = Object.keys(auth).filter((method) => (auth as Record<string, unknown>)[method] !== undefined);
  const unsupported = methods.filter((method) => method !== 'anonymous');
  if (unsupported.length > 0) {
    throw new UnsupportedConfigError(`${where}: authentication method(s) ${unsupported.join(', ')} are not supported by this version yet`);
  }
  const anonymous = auth.anonymous;
  if (!anonymous) throw new UnsupportedConfigError(`${where}: no authentication method is configured`);
  if (anonymous.type === 'dynamic') {
    throw new UnsupportedConfigError(`${where}: dynamic anonymous authentication is not supported by this version yet`);
  }
  return anonymousGate(anonymous.role, anonymous.authid);
}

