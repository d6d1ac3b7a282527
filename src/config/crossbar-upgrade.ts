/**
 * Crossbar configuration version 1 (a file without "version", or "version": 1) wrote a
 * permission's actions beside its URI: {"uri": "com.example.*", "publish": true, "subscribe": true}.
 * Crossbar itself refuses such a file until `crossbar upgrade` rewrote it; Junction applies the
 * same conversion when reading it, and says so in one notice.
 */

import { notice } from './notices.js';
import { isRecord } from './semantics-realms.js';

const actions = ['call', 'register', 'publish', 'subscribe'] as const;

export interface Upgraded {
  document: unknown;
  notices: string[];
}

/** The document with version-1 permissions in the version-2 form; the input is not changed. */
export function upgradeVersion1(document: unknown): Upgraded {
  if (!isRecord(document) || (document.version !== undefined && document.version !== 1)) return { document, notices: [] };
  let converted = 0;
  const permission = (value: unknown): unknown => {
    if (!isRecord(value) || 'allow' in value || !actions.some((action) => action in value)) return value;
    converted++;
    const { call, register, publish, subscribe, ...rest } = value;
    // What `crossbar upgrade` writes: each action as given (default false), disclosure off, caching on.
    return {
      ...rest,
      allow: { call: call ?? false, register: register ?? false, publish: publish ?? false, subscribe: subscribe ?? false },
      disclose: { caller: false, publisher: false },
      cache: true,
    };
  };
  const workers = Array.isArray(document.workers)
    ? document.workers.map((worker) =>
        isRecord(worker) && worker.type === 'router' ? { ...worker, realms: mapRealms(worker.realms, permission) } : worker,
      )
    : document.workers;
  if (converted === 0) return { document, notices: [] };
  return { document: { ...document, workers }, notices: [notice('config.notice.version1', ['version'], converted)] };
}

function mapRealms(realms: unknown, permission: (value: unknown) => unknown): unknown {
  if (!Array.isArray(realms)) return realms;
  return realms.map((realm) => {
    if (!isRecord(realm) || !Array.isArray(realm.roles)) return realm;
    return {
      ...realm,
      roles: realm.roles.map((role) =>
        isRecord(role) && Array.isArray(role.permissions) ? { ...role, permissions: role.permissions.map(permission) } : role,
      ),
    };
  });
}
