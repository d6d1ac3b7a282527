import { maskedMark, withoutSecrets } from '../auth/secrets.js';

/**
 * The running configuration as the console shows it (junction.config.get): plain JSON with every
 * secret replaced by a mark. What counts as a secret is decided by the key that holds a value:
 * tickets, WAMP-CRA secrets and salts, passwords, tokens, signing and webhook secrets, private
 * keys, every HTTP header value a component sends, every environment value a program is given,
 * a program's argument that is the value of a secret flag ("--password=pw", "--token tok"), and a
 * URL's user name, password and query values ("redis://:pw@host", "https://h/x?api_key=k").
 */

export { maskedMark };

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
/** The key of a program and its arguments (process and stdio components). */
const commandKey = 'command';

export function maskSecrets(value: unknown): unknown {
  return walk(value, false, new WeakSet());
}

/** The secrets maskSecrets would mask in `value` (strings and numbers under secret keys, URLs' credentials), as text. */
export function secretValues(value: unknown): string[] {
  const found: string[] = [];
  const pair = (original: unknown, masked: unknown): void => {
    if (masked === maskedMark && (typeof original === 'string' || typeof original === 'number')) found.push(String(original));
    else if (typeof original === 'string') found.push(...urlCredentials(original));
    else if (typeof original === 'object' && original !== null && typeof masked === 'object' && masked !== null) {
      for (const [key, item] of Object.entries(original)) pair(item, (masked as Record<string, unknown>)[key]);
    }
  };
  pair(value, maskSecrets(value));
  return found;
}

/** `ancestors`: the objects this value is inside; an object met again there is a cycle, elsewhere merely shared (one default for two components). */
function walk(value: unknown, secret: boolean, ancestors: WeakSet<object>): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') return secret ? maskedMark : maskUrls(value);
  if (typeof value === 'number' || typeof value === 'bigint') return secret ? maskedMark : Number(value);
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'object') return null; // functions and symbols are no configuration
  if (value instanceof Uint8Array) return maskedMark; // key material
  if (ancestors.has(value)) return '[circular]';
  ancestors.add(value);
  try {
    return walkObject(value, secret, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function walkObject(value: object, secret: boolean, ancestors: WeakSet<object>): unknown {
  if (value instanceof Map) return walkEntries([...value.entries()].map(([key, item]) => [String(key), item]), secret, ancestors);
  if (value instanceof Set || Array.isArray(value)) return [...value].map((item) => walk(item, secret, ancestors));
  return walkEntries(Object.entries(value), secret, ancestors);
}

function walkEntries(entries: [string, unknown][], secret: boolean, ancestors: WeakSet<object>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const name = key.toLowerCase().replace(/[-_]/g, '');
    // A secret key masks its value; an object under it (the auth method named "ticket") is walked on.
    const isPlainObject = typeof item === 'object' && item !== null && !Array.isArray(item) && !(item instanceof Uint8Array);
    const masked = secret || secretTable.test(name) || (secretKey.test(name) && !isPlainObject);
    result[key] = walk(name === commandKey && Array.isArray(item) ? maskArguments(item) : item, masked, ancestors);
  }
  return result;
}

/** Option names (any case; "-", "_" and "." ignored) whose value is a secret wherever the word stands: "--db-password", "--api-key", "--auth-token". */
const secretOption = /password|passwd|secret|token|key|auth|credential/;
/** "--name" or "-name", with "=value" attached or not. */
const option = /^--?([a-z0-9][\w.-]*)(=.*)?$/is;

/**
 * A program and its arguments with the value of each secret option masked, the option's name kept:
 * "--password=pw" -> "--password=*****", "--token tok" -> "--token *****". The program itself (the
 * first word) is never masked.
 */
function maskArguments(command: unknown[]): unknown[] {
  return readArguments(command).map(({ word, secret }) => {
    if (secret === undefined) return word;
    return secret === word ? maskedMark : `${word.slice(0, word.length - secret.length)}${maskedMark}`;
  });
}

/**
 * Each word of a command with the secret it carries: the whole word after a secret option without
 * "=", the part after "=" of one with it. The word after a secret option without "=" is taken as
 * its value even when it starts with one "-" (a token may); one that starts with "--" is the next
 * option.
 */
function readArguments(command: readonly unknown[]): ({ word: unknown; secret?: undefined } | { word: string; secret: string })[] {
  let valueNext = false;
  return command.map((word, index) => {
    if (index === 0 || typeof word !== 'string') return { word };
    if (valueNext && !word.startsWith('--')) {
      valueNext = false;
      return { word, secret: word };
    }
    const [, name, attached] = option.exec(word) ?? [];
    const secret = name !== undefined && secretOption.test(normalizedOption(name));
    valueNext = secret && attached === undefined;
    return secret && attached !== undefined ? { word, secret: attached.slice(1) } : { word };
  });
}

/** The "user:password" of each URL in `text`, and the password alone. */
function urlCredentials(text: string): string[] {
  return [...text.matchAll(userinfoAnywhere)].flatMap(([, , userinfo = '']) => [userinfo, userinfo.slice(userinfo.indexOf(':') + 1)]);
}

/** An environment variable's name that says its value is a secret: "DB_PASSWORD", "WAMP_TICKET", "AUTH_HEADER". */
function secretName(name: string): boolean {
  const normalized = normalizedOption(name);
  return secretOption.test(normalized) || secretKey.test(normalized);
}

function normalizedOption(name: string): string {
  return name.toLowerCase().replace(/[-_.]/g, '');
}

/** Shorter values are not masked in free text: "key=ab" would mask every "ab" a program writes. */
export const minMaskedValueLength = 4;

/** What masks a program's secrets in text it writes; see programSecretsMask. */
export interface SecretsMask {
  /** `text` with each secret replaced by the mark. */
  (text: string): string;
  /** UTF-8 bytes of the longest secret (0 when there is none): how far before a cut a secret cut in half may begin. */
  readonly longestBytes: number;
  /**
   * Where to cut `text` to keep what follows `at` without a secret's end: `at`, or the start of a
   * secret that straddles it (then that secret, whole, is masked in the kept part). A tail cut
   * first and masked after would show the rest of such a secret, no longer recognisable.
   */
  cutBefore(text: string, at: number): number;
}

/**
 * What masks the secrets a program is given wherever they appear in what it writes (a stderr line
 * it echoes its arguments or environment in: "unrecognized option '--credential=s3cret'"): the
 * values of its secret options (as masked in its `command` above) and of its environment variables
 * named like a secret ("DB_PASSWORD", "API_TOKEN", "AUTH_HEADER"), and
 * the user name and password of a URL in either ("--dsn=postgres://app:pw@db"), each of at least
 * minMaskedValueLength characters, longest first so that a secret containing another is masked whole.
 * Each line of a secret that spans lines (a PEM key) is masked too: output is logged line by line.
 * `more`: other secrets it was given (a function authenticator's config, in one JSON variable).
 */
export function programSecretsMask(command: readonly string[], env: Readonly<Record<string, string>>, more: readonly string[] = []): SecretsMask {
  const fromArguments = readArguments(command).map(({ secret }) => secret);
  const fromEnvironment = Object.entries(env).filter(([name]) => secretName(name)).map(([, value]) => value);
  const fromUrls = [...command.slice(1), ...Object.values(env)].flatMap(urlCredentials);
  const whole = [...fromArguments, ...fromEnvironment, ...fromUrls, ...more].filter((value): value is string => value !== undefined);
  const lines = whole.filter((value) => /[\r\n]/.test(value)).flatMap((value) => value.split(/\r?\n|\r/));
  const secrets = [...new Set([...whole, ...lines])]
    .filter((value) => value.length >= minMaskedValueLength)
    .sort((a, b) => b.length - a.length);
  const mask = (text: string): string => withoutSecrets(text, secrets);
  return Object.assign(mask, {
    longestBytes: secrets.length === 0 ? 0 : Math.max(...secrets.map((secret) => Buffer.byteLength(secret))),
    cutBefore(text: string, at: number): number {
      let cut = at;
      for (let moved = true; moved;) {
        moved = false;
        for (const secret of secrets) {
          // The first occurrence that could reach past `cut`; it straddles the cut if it starts before.
          const start = text.indexOf(secret, Math.max(0, cut - secret.length + 1));
          if (start !== -1 && start < cut) {
            cut = start;
            moved = true;
          }
        }
      }
      return cut;
    },
  });
}

/**
 * A URL (a forwarder's, a REST callee's base URL, Redis') as urlForLog shows it; in other text, the
 * user name and password of any URL in it ("--db=postgres://u:pw@h" -> "--db=postgres://*****@h").
 */
function maskUrls(text: string): string {
  return absoluteUrl.test(text) ? urlForLog(text) : text.replace(userinfoAnywhere, `$1${maskedMark}@`);
}

const absoluteUrl = /^[a-z][a-z0-9+.-]*:\/\/\S*$/i;
/** A URL's scheme and "//" ($1), then its user name and password ($2), anywhere in a text. */
const userinfoAnywhere = /\b([a-z][a-z0-9+.-]*:\/\/)([^/?#\s@]*)@/gi;

/** "scheme://user:pw@" at the start of a URL: the last "@" before the path ends the userinfo. */
const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;

/**
 * An outgoing URL (a REST-backed procedure's request, a forwarder's delivery) as logs, metrics and
 * error messages show it: written as configured, except that the user name and password are
 * masked and each query value is masked with its name kept ("?api_key=*****&page=*****"). A base
 * URL or a caller's parameters may carry an API key there, and logs and WAMP errors reach people
 * who must not see it. A query piece without "=" is masked whole: a bare "?s3cret" has no name to
 * keep (transport/request-path.ts drops an incoming URL's query for the same reason). The
 * fragment is dropped: it is never sent. A relative url (a caller's) is masked the same way.
 */
export function urlForLog(url: URL | string): string {
  const text = (typeof url === 'string' ? url : url.href).replace(userinfo, `$1${maskedMark}@`);
  const withoutFragment = text.split('#', 1)[0]!;
  const queryAt = withoutFragment.indexOf('?');
  return queryAt === -1 ? withoutFragment : withoutFragment.slice(0, queryAt) + maskQuery(withoutFragment.slice(queryAt + 1));
}

/** "a=1&b" -> "?a=*****&*****"; an empty query is left out. */
function maskQuery(query: string): string {
  const pieces = query.split('&').filter((piece) => piece !== '');
  if (pieces.length === 0) return '';
  const masked = pieces.map((piece) => {
    const equals = piece.indexOf('=');
    return equals === -1 ? maskedMark : `${piece.slice(0, equals)}=${maskedMark}`;
  });
  return `?${masked.join('&')}`;
}

