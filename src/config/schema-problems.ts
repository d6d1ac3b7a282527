/**
 * Schema validation with messages written for people editing a config file: "expected boolean,
 * got string", "unknown key "rolez" (did you mean "roles"?)". Values are never echoed, so a
 * secret in a mistyped place does not end up in a log.
 */

import type * as z from 'zod';
import { isNotSupportedMessage, schemaProblemCodes, type SchemaProblemCode } from './codes.js';
import type { ConfigProblem } from './problems.js';
import type { ConfigPath } from './config-path.js';

export type SchemaResult<T> = { ok: true; value: T } | { ok: false; problems: ConfigProblem[] };

export function validate<S extends z.ZodType>(schema: S, value: unknown): SchemaResult<z.output<S>> {
  // reportInput: the code of a problem depends on whether the value was there (never printed).
  const result = schema.safeParse(value, { error: messageFor, reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.flatMap(toProblems) };
}

/** Separates the per-key lines of an unknown-keys message (see messageFor / toProblems). */
const KEY_LINE_SEPARATOR = '\n';

/** Messages for issues the schema itself does not word. */
function messageFor(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `missing (expected ${expectedName(issue.expected)})`;
      return `expected ${expectedName(issue.expected)}, got ${typeName(issue.input, issue.expected)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return `expected a value >= ${issue.minimum}`;
    case 'too_big':
      return `expected a value <= ${issue.maximum}`;
    case 'unrecognized_keys': {
      // One issue covers every unknown key of an object; toProblems splits it into one problem
      // per key (so each gets its own line:column), one message line per key, in `keys` order.
      const known = knownKeys(issue.inst);
      return issue.keys.map((key) => unknownKeyMessage(key, known)).join(KEY_LINE_SEPARATOR);
    }
    case 'invalid_format':
      return 'does not have the expected format';
    case 'invalid_key':
      // The key's own schema says what is wrong with it ("a path is ...", "not a valid header name").
      return issue.issues[0]?.message ?? 'invalid key';
    case 'invalid_union':
      return 'does not match any accepted form';
    default:
      return undefined;
  }
}

function toProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path: ConfigPath = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
  if (issue.code === 'unrecognized_keys') {
    const lines = issue.message.split(KEY_LINE_SEPARATOR);
    return issue.keys.map((key, index) => ({
      code: 'config.unknown_key' as const,
      path: [...path, key],
      at: 'key' as const,
      message: lines[index] ?? `unknown key ${JSON.stringify(key)}`,
    }));
  }
  // A problem found by a nested validation (validateNested) keeps its "points at the key" flag.
  const at = issue.code === 'custom' && issue.params?.at === 'key' ? { at: 'key' as const } : {};
  return [{ code: codeOf(issue), path, message: issue.message, ...at }];
}

/**
 * The kind of mistake (see codes.ts). A refinement names its kind in `params.code` when it is
 * not a plain bad value: `{ code: 'custom', params: { code: 'config.conflict' }, ... }`.
 */
function codeOf(issue: z.core.$ZodIssue): SchemaProblemCode {
  const named: unknown = issue.code === 'custom' ? issue.params?.code : undefined;
  if (schemaProblemCodes.includes(named as SchemaProblemCode)) return named as SchemaProblemCode;
  if (isNotSupportedMessage(issue.message)) return 'config.unsupported';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'config.missing';
      // z.never(): a key Junction knows, in a place that does not take it.
      return issue.expected === 'never' ? 'config.not_here' : 'config.type';
    case 'invalid_union':
      // No value at all matches none of the forms: the key is missing.
      return issue.input === undefined ? 'config.missing' : 'config.form';
    default:
      return 'config.value';
  }
}

/**
 * Validates `value` with `schema` from inside a refinement or transform of an outer schema (a
 * part whose shape depends on a sibling value, such as a component's `extra` by its classname):
 * the same messages as `validate`, reported at `path` relative to the outer value.
 */
export function validateNested<S extends z.ZodType>(
  schema: S,
  value: unknown,
  ctx: z.core.$RefinementCtx,
  path: ConfigPath,
): z.output<S> | undefined {
  const result = validate(schema, value);
  if (result.ok) return result.value;
  for (const problem of result.problems) {
    ctx.addIssue({
      code: 'custom',
      message: problem.message,
      path: [...path, ...problem.path],
      params: { code: problem.code, ...(problem.at === 'key' ? { at: 'key' } : {}) },
    });
  }
  return undefined;
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'integer';
    case 'record':
      return 'object';
    case 'array':
      return 'list';
    case 'nonoptional':
      return 'a value';
    default:
      return expected;
  }
}

function typeName(input: unknown, expected: string): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'list';
  if (typeof input === 'number' && expected === 'int' && !Number.isInteger(input)) return 'a fractional number';
  return typeof input;
}

function knownKeys(inst: unknown): string[] {
  const def = (inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def;
  return def?.shape === undefined ? [] : Object.keys(def.shape);
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestName(key, known);
  const base = `unknown key ${JSON.stringify(key)}`;
  return suggestion === undefined ? base : `${base} (did you mean ${JSON.stringify(suggestion)}?)`;
}

/** A known name that differs only in case/separators ("maxMessageSize") or by a small typo. */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const squash = (text: string) => text.toLowerCase().replace(/[-_]/g, '');
  const same = known.find((candidate) => squash(candidate) === squash(key));
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 4)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Insertions, deletions, substitutions and swaps of neighbouring letters ("prot" for "port"), one each. */
function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      let distance = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, beforePrevious[j - 2]! + 1);
      current.push(distance);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length]!;
}
