import type { Dict } from '../protocol/messages.js';

/**
 * HELLO.Details.roles, shared between the sessions that announced the same roles and features:
 * clients of one library announce the same dict, and a session keeps it for its whole life
 * (Session.hasFeature), which cost 5 to 50 objects per session. The shared copy is deep-frozen.
 * At most MAX_SHAPES distinct announcements are kept; past that (or for a big dict) a session
 * keeps its own, as before.
 */

const MAX_SHAPES = 256;
const MAX_SHARED_JSON_LENGTH = 4_096;
const shared = new Map<string, Dict>();

/** Distinct announcements shared now (process-wide; a metric reads it). */
export function sharedRolesCount(): number {
  return shared.size;
}

export function sharedRoles(roles: Dict): Dict {
  let key: string;
  try {
    key = JSON.stringify(roles);
  } catch {
    return roles; // not JSON (a CBOR/msgpack value with no JSON form): keep it as it is
  }
  if (key.length > MAX_SHARED_JSON_LENGTH) return roles;
  const known = shared.get(key);
  if (known) return known;
  if (shared.size >= MAX_SHAPES) return roles;
  const copy = deepFreeze(JSON.parse(key) as Dict);
  shared.set(key, copy);
  return copy;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
