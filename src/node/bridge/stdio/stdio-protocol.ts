import type { Args, Dict } from '../../../protocol/messages.js';
import { matchPolicies, type MatchPolicy } from '../../../protocol/uri.js';

/**
 * The stdio protocol (docs/stdio.md): one JSON object per line. This module reads the program's
 * commands (its stdout) and writes what it is told (its stdin); it knows no processes or sessions.
 */

/** The program's own label for a request, echoed in the answer: a string or a number. */
export type CommandId = string | number;

export type StdioCommand =
  | { type: 'publish'; id?: CommandId; topic: string; args: Args; kwargs?: Dict; options: Dict }
  | { type: 'subscribe'; id?: CommandId; topic: string; match: MatchPolicy }
  | { type: 'register'; id?: CommandId; procedure: string; match: MatchPolicy }
  | { type: 'call'; id?: CommandId; procedure: string; args: Args; kwargs?: Dict; timeout?: number }
  | { type: 'yield'; request: number; args: Args; kwargs?: Dict }
  | { type: 'error'; request: number; error: string; args: Args; kwargs?: Dict };

/** Error URIs the stdio component answers with (docs/stdio.md). */
export const StdioErrorUri = {
  /** A line that is not a command: bad JSON, unknown type, a missing or mistyped field, too long. */
  invalidCommand: 'junction.error.stdio.invalid_command',
  /** The program exited (or was restarted) before it answered an invocation. */
  programExited: 'junction.error.stdio.program_exited',
  /** Too many lines wait for the program to read its stdin, or too many invocations are open. */
  busy: 'junction.error.stdio.busy',
  /** A message for the program is longer than max_line_bytes. */
  tooLong: 'junction.error.stdio.message_too_long',
} as const;

/** A line that is not a valid command; `id` when the line had a usable one (for the answer). */
export class InvalidCommand extends Error {
  constructor(message: string, readonly id?: CommandId) {
    super(message);
  }
}

const fieldsOf = {
  publish: ['type', 'id', 'topic', 'args', 'kwargs', 'options'],
  subscribe: ['type', 'id', 'topic', 'match'],
  register: ['type', 'id', 'procedure', 'match'],
  call: ['type', 'id', 'procedure', 'args', 'kwargs', 'timeout'],
  yield: ['type', 'request', 'args', 'kwargs'],
  error: ['type', 'request', 'error', 'args', 'kwargs'],
} as const;

type CommandType = keyof typeof fieldsOf;

/**
 * Parses one line of the program's stdout; throws InvalidCommand saying what is wrong. What the
 * message quotes of the line is quoted from `masked(line)` (the program's secrets masked), as the
 * message is logged.
 */
export function readCommand(line: string, masked: (text: string) => string = (text) => text): StdioCommand {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new InvalidCommand(`not JSON: ${jsonError(masked(line))}`);
  }
  if (!isDict(value)) throw new InvalidCommand('a command is a JSON object, such as {"type": "publish", "topic": "sensor.temperature", "args": [21.5]}');
  const id = value.id;
  const usableId = typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
  const fail = (message: string): never => {
    throw new InvalidCommand(message, usableId);
  };
  if (id !== undefined && usableId === undefined) fail('"id" must be a string or a number');
  const type = value.type;
  if (typeof type !== 'string' || !Object.hasOwn(fieldsOf, type)) {
    fail(`"type" must be one of ${Object.keys(fieldsOf).map((name) => `"${name}"`).join(', ')}`);
  }
  const fields = fieldsOf[type as CommandType];
  const unknown = Object.keys(value).filter((key) => !(fields as readonly string[]).includes(key));
  if (unknown.length > 0) fail(`unknown field "${masked(unknown[0]!)}" in a ${type} command (it may have ${fields.map((f) => `"${f}"`).join(', ')})`);

  const text = (field: string): string => {
    const found = value[field];
    if (typeof found !== 'string' || found === '') return fail(`${type} needs "${field}", a non-empty string`);
    return found;
  };
  const args = (): Args => {
    const found = value.args ?? [];
    if (!Array.isArray(found)) return fail('"args" must be a list');
    return found;
  };
  const kwargs = (): { kwargs?: Dict } => {
    const found = value.kwargs;
    if (found === undefined || found === null) return {};
    if (!isDict(found)) return fail('"kwargs" must be an object');
    return { kwargs: found };
  };
  const match = (): MatchPolicy => {
    const found = value.match ?? 'exact';
    if (!matchPolicies.includes(found as MatchPolicy)) return fail(`"match" must be one of ${matchPolicies.map((m) => `"${m}"`).join(', ')}`);
    return found as MatchPolicy;
  };
  const request = (): number => {
    const found = value.request;
    if (typeof found !== 'number' || !Number.isInteger(found) || found < 1) return fail(`${type} needs "request", the number of the invocation it answers`);
    return found;
  };
  const withId = usableId === undefined ? {} : { id: usableId };

  switch (type as CommandType) {
    case 'publish': {
      const options = value.options ?? {};
      if (!isDict(options)) fail('"options" must be an object');
      return { type: 'publish', ...withId, topic: text('topic'), args: args(), ...kwargs(), options: options as Dict };
    }
    case 'subscribe':
      return { type: 'subscribe', ...withId, topic: text('topic'), match: match() };
    case 'register':
      return { type: 'register', ...withId, procedure: text('procedure'), match: match() };
    case 'call': {
      const timeout = value.timeout;
      if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1)) fail('"timeout" must be a positive number of ms');
      return { type: 'call', ...withId, procedure: text('procedure'), args: args(), ...kwargs(), ...(timeout === undefined ? {} : { timeout: timeout as number }) };
    }
    case 'yield':
      return { type: 'yield', request: request(), args: args(), ...kwargs() };
    case 'error':
      return { type: 'error', request: request(), error: text('error'), args: args(), ...kwargs() };
  }
}

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Why `text` is not JSON, in the parser's words. They quote a piece of it, cut at a few characters:
 * `text` has the secrets masked already, as a secret cut there would no longer be recognised.
 */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  return 'not valid JSON'; // only a masked secret made it so
}
