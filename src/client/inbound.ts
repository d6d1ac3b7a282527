/**
 * Checks a decoded frame from the router and turns it into a typed message. Only the 14
 * messages a router sends a client are accepted, each element checked for its type; the
 * protocol layer's full parser also covers router-side messages and features that a browser
 * client does not need and that its size budget cannot carry.
 */
import { messageTypeName } from '../protocol/codes.js';
import type { WampMessage } from '../protocol/messages.js';
import * as W from './wire.js';

/**
 * Element names and kinds of each message (i: ID, r: ID or 0 for a revocation, n: integer,
 * s: string, d: dict), then "+" when Arguments and ArgumentsKw may follow, "?" for optional Details.
 */
const shapes: Record<number, string> = {
  [W.WELCOME]: 'session:i details:d',
  [W.ABORT]: 'details:d reason:s',
  [W.CHALLENGE]: 'authMethod:s extra:d',
  [W.GOODBYE]: 'details:d reason:s',
  [W.ERROR]: 'requestType:n request:i details:d error:s +',
  [W.PUBLISHED]: 'request:i publication:i',
  [W.SUBSCRIBED]: 'request:i subscription:i',
  [W.UNSUBSCRIBED]: 'request:r ?',
  [W.EVENT]: 'subscription:i publication:i details:d +',
  [W.RESULT]: 'request:i details:d +',
  [W.REGISTERED]: 'request:i registration:i',
  [W.UNREGISTERED]: 'request:r ?',
  [W.INVOCATION]: 'request:i registration:i details:d +',
  [W.INTERRUPT]: 'request:i options:d',
};

const kinds: Record<string, [test: (value: unknown) => boolean, expected: string]> = {
  i: [(value) => Number.isInteger(value) && (value as number) > 0 && (value as number) <= 2 ** 53, 'an ID'],
  r: [(value) => value === 0 || kinds.i![0](value), 'an ID or 0'],
  n: [Number.isInteger, 'an integer'],
  s: [(value) => typeof value === 'string', 'a string'],
  d: [(value) => typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value), 'a dict'],
};

/** The messages a router sends a client. */
export type RouterMessage = Extract<
  WampMessage,
  { type: 2 | 3 | 4 | 6 | 8 | 17 | 33 | 35 | 36 | 50 | 65 | 67 | 68 | 69 }
>;

export type Inbound = { ok: true; message: RouterMessage } | { ok: false; error: string };

export function parseInbound(raw: unknown): Inbound {
  const fail = (error: string): Inbound => ({ ok: false, error });
  if (!Array.isArray(raw) || !Number.isInteger(raw[0])) return fail('a WAMP message must be a list starting with its type code');
  const type = raw[0] as number;
  const name = messageTypeName(type) ?? `type ${type}`;
  const shape = shapes[type];
  if (!shape) return fail(`a router does not send ${name} to a client`);
  const fields = shape.split(' ');
  const tail = fields[fields.length - 1]!.length === 1 ? fields.pop() : undefined;
  const max = fields.length + 1 + (tail === '+' ? 2 : tail ? 1 : 0);
  if (raw.length <= fields.length || raw.length > max) return fail(`${name} must have ${fields.length + 1} to ${max} elements, got ${raw.length}`);
  const message: Record<string, unknown> = { type };
  let at = 1;
  for (const field of [...fields, ...(tail === '+' ? ['args:a', 'kwargs:d'] : tail ? ['details:d'] : [])]) {
    if (at >= raw.length) break;
    const [key, kind] = field.split(':') as [string, string];
    const value = raw[at];
    const valid = kind === 'a' ? Array.isArray(value) : kinds[kind]![0](value);
    if (!valid) return fail(`${name} ${key} (element ${at}) must be ${kind === 'a' ? 'a list' : kinds[kind]![1]}`);
    message[key] = value;
    at++;
  }
  return { ok: true, message: message as unknown as RouterMessage };
}
