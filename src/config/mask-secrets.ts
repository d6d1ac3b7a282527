/**
 * The running configuration as the console shows it (junction.config.get): plain JSON with every
 * secret replaced by a mark. What counts as a secret is decided by the key that holds a value:
 * tickets, WAMP-CRA secrets and salts, passwords, tokens, signing and webhook secrets, private
 * keys, every HTTP header value a component sends, every environment value a program is given,
 * and the password inside a URL ("redis://:pw@host").
 */

export const maskedMark = '*****';

/**
 * Keys whose string or number value is a secret (any case; "-" and "_" ignored), also as the end
 * of a longer name: "github_secret", "signing_secret", "sentinel_password", "access_token".
 */
const secretKey = /(ticket|secret|salt|password|passwd|pass|token|apikey|key|credentials?|authorization|cookie)$/;
/**
 * Keys below which every value is a secret: headers may carry credentials under any name, and so
 * may a program's environment (DB_PASSWORD, API_TOKEN...).
 */
const secretTable = /^(headers|env)$/;

export function maskSecrets(value: unknown): unknown {
  return walk(value, false, new WeakSet());
}

function walk(value: unknown, secret: boolean, seen: WeakSet<object>): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') return secret ? maskedMark : maskUrlPassword(value);
  if (typeof value === 'number' || typeof value === 'bigint') return secret ? maskedMark : Number(value);
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'object') return null; // functions and symbols are no configuration
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Uint8Array) return maskedMark; // key material
  if (value instanceof Map) return walkEntries([...value.entries()].map(([key, item]) => [String(key), item]), secret, seen);
  if (value instanceof Set || Array.isArray(value)) return [...value].map((item) => walk(item, secret, seen));
  return walkEntries(Object.entries(value), secret, seen);
}

function walkEntries(entries: [string, unknown][], secret: boolean, seen: WeakSet<object>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const name = key.toLowerCase().replace(/[-_]/g, '');
    // A secret key masks its value; an object under it (the auth method named "ticket") is walked on.
    const isPlainObject = typeof item === 'object' && item !== null && !Array.isArray(item) && !(item instanceof Uint8Array);
    const masked = secret || secretTable.test(name) || (secretKey.test(name) && !isPlainObject);
    result[key] = walk(item, masked, seen);
  }
  return result;
}

/** "redis://user:pw@host:6379" -> "redis://user:*****@host:6379". */
function maskUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:)[^@/\s]+@/i, `$1${maskedMark}@`);
}
