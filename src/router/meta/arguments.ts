import type { Args, Dict } from '../../protocol/messages.js';
import { isDict, isId } from '../../protocol/parse.js';
import { ErrorUri } from '../../protocol/errors.js';
import { matchPolicies, type MatchPolicy } from '../../protocol/uri.js';
import { InternalCallError } from '../internal-session.js';

/** Reading meta procedure arguments: a wrong argument is the caller's ERROR wamp.error.invalid_argument, naming it. */

export function invalidArgument(message: string): InternalCallError {
  return new InternalCallError(ErrorUri.invalidArgument, [message]);
}

/**
 * Why a call's keyword arguments are refused, or undefined: a mistyped keyword is an error, not a
 * silent default (a `limitt` would list everything; a retry without its `ids` would take the oldest).
 */
export function unknownKeywordProblem(kwargs: Dict, known: readonly string[]): string | undefined {
  const unknown = Object.keys(kwargs).find((key) => !known.includes(key));
  if (unknown === undefined) return undefined;
  return `unknown keyword argument "${unknown}" (${known.length > 0 ? `expected ${known.join(', ')}` : 'this procedure takes none'})`;
}

/** Refuses a call with a keyword argument not in `known`, naming it, before the procedure acts. */
export function refuseUnknownKeywords(kwargs: Dict, known: readonly string[]): void {
  const problem = unknownKeywordProblem(kwargs, known);
  if (problem !== undefined) throw invalidArgument(problem);
}

/** Positional argument `index`, or keyword argument `name` when the caller used keywords. */
export function argument(args: Args, kwargs: Dict, index: number, name: string): unknown {
  const positional = args[index];
  return positional !== undefined && positional !== null ? positional : kwargs[name];
}

export function readId(value: unknown, name: string): number {
  if (!isId(value)) throw invalidArgument(`"${name}" must be an ID (an integer from 1 to 2^53)`);
  return value;
}

export function readString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument(`"${name}" must be a non-empty string`);
  return value;
}

/** A subscription's topic or pattern: non-empty, except the empty prefix (Crossbar's "everything"). */
export function readTopicPattern(value: unknown, match: MatchPolicy, name: string): string {
  if (value === '' && match === 'prefix') return value;
  return readString(value, name);
}

export function readOptionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidArgument(`"${name}" must be a string`);
  return value;
}

export function readOptionalDict(value: unknown, name: string): Dict {
  if (value === undefined || value === null) return {};
  if (!isDict(value)) throw invalidArgument(`"${name}" must be a dict`);
  return value;
}

export function readOptionalStringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidArgument(`"${name}" must be a list of strings`);
  }
  return value;
}

export function readOptionalList(value: unknown, name: string): Args {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidArgument(`"${name}" must be a list`);
  return value;
}

export function readOptionalCount(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidArgument(`"${name}" must be a non-negative integer`);
  return value;
}

export function readOptionalBoolean(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidArgument(`"${name}" must be a boolean`);
  return value;
}

/** An RFC 3339 timestamp, as milliseconds since the epoch. */
export function readOptionalTime(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw invalidArgument(`"${name}" must be an RFC 3339 timestamp such as "2024-05-01T12:00:00.000Z"`);
  return time;
}

/** The `match` of a lookup's options dict (as in SUBSCRIBE/REGISTER options), "exact" by default. */
export function readMatch(options: Dict): MatchPolicy {
  const match = options.match ?? 'exact';
  if (typeof match !== 'string' || !matchPolicies.includes(match as MatchPolicy)) {
    throw invalidArgument(`option "match" must be one of ${matchPolicies.map((m) => `"${m}"`).join(', ')}`);
  }
  return match as MatchPolicy;
}
