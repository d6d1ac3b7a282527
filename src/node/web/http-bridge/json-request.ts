import { DEFAULT_MAX_NESTING_DEPTH, nestsDeeperThan, tooDeepMessage } from '../../../codec/nesting.js';
import { isValidUri, uriProblem, type UriRules } from '../../../protocol/uri.js';
import { Refusal, quote } from './refusal.js';

type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body as text; bytes that are not UTF-8 are refused (as Crossbar does). */
export function bodyText(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new Refusal(400, 'invalid_utf8', 'the body is not valid UTF-8');
  }
}

/**
 * The body as a JSON object whose keys are all among `fields` (any keys when not given), nesting
 * at most `maxNestingDepth` levels (the body counts as one, as a WAMP message does), refused
 * before anything is published.
 */
export function parseJsonObject(body: Buffer, fields?: readonly string[], maxNestingDepth = DEFAULT_MAX_NESTING_DEPTH): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(bodyText(body));
  } catch (error) {
    if (error instanceof Refusal) throw error;
    throw new Refusal(400, 'invalid_json', 'the body is not valid JSON', (error as Error).message);
  }
  if (!isObject(value)) {
    throw new Refusal(400, 'not_an_object', `the body must be a JSON object, not ${describe(value)}`);
  }
  if (nestsDeeperThan(value, maxNestingDepth, body.length / 2)) throw new Refusal(400, 'too_deep', tooDeepMessage(maxNestingDepth));
  if (fields === undefined) return value;
  // A misspelled key ("kwarg") would otherwise be dropped without a word.
  if (hasOnlyKeys(value, fields)) return value;
  const unknown = Object.keys(value).filter((key) => !fields.includes(key));
  throw new Refusal(400, 'unknown_field',
    `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => quote(key, 40)).join(', ')}: the body may have ${fields.map((f) => `"${f}"`).join(', ')}`);
}

/** A required URI field (topic, procedure), valid under the realm's URI rule. */
export function readUri(body: JsonObject, field: string, rules: UriRules): string {
  const value = body[field];
  if (value === undefined) throw new Refusal(400, 'missing_field', `the body has no "${field}"`);
  if (typeof value !== 'string') throw new Refusal(400, 'invalid_field', `"${field}" must be a string, not ${describe(value)}`);
  const problem = uriProblem(value, rules);
  // uriProblem quotes the whole URI; quote it shortened instead and keep its reason.
  if (problem) {
    // The commonest surprise: "some-channel" in a realm that asks for strict URIs.
    const hint = rules.strict && isValidUri(value, { ...rules, strict: false })
      ? ' (the realm checks URIs strictly; its options.uri_check "loose" would accept this one)'
      : '';
    throw new Refusal(400, 'invalid_uri', `"${field}" ${quote(value)} ${problem.slice(problem.lastIndexOf('is not a valid URI'))}${hint}`);
  }
  return value;
}

/** Positional arguments: a list, or nothing (absent or null, as Crossbar allows). */
export function readArgs(body: JsonObject): unknown[] {
  const value = body.args;
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Refusal(400, 'invalid_field', `"args" must be a list, not ${describe(value)}`);
  return value;
}

/** Keyword arguments: an object, or nothing (absent or null). */
export function readKwargs(body: JsonObject): JsonObject {
  const value = body.kwargs;
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new Refusal(400, 'invalid_field', `"kwargs" must be an object, not ${describe(value)}`);
  return value;
}

/** The `options` object with only the `allowed` keys (absent or null: none). */
export function readOptions(body: JsonObject, allowed: readonly string[]): JsonObject {
  const value = body.options;
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new Refusal(400, 'invalid_field', `"options" must be an object, not ${describe(value)}`);
  for (const key in value) {
    if (!allowed.includes(key)) {
      throw new Refusal(400, 'unknown_option', `unknown option ${quote(key, 40)}: allowed are ${allowed.map((a) => `"${a}"`).join(', ')}`);
    }
  }
  return value;
}

/** Whether every key of `value` is one of `keys` (a loop: no list is made for the usual body that passes). */
function hasOnlyKeys(value: JsonObject, keys: readonly string[]): boolean {
  for (const key in value) if (!keys.includes(key)) return false;
  return true;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "a list", "a string", "null"...: for messages about a value of the wrong type. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string': return 'a string';
    case 'number': return 'a number';
    case 'boolean': return 'a boolean';
    default: return 'an object';
  }
}
