/**
 * The client's wire mapping: one compact table of message layouts, used to encode what the
 * client sends and to check and decode what the router sends. The protocol layer's parser and
 * toWire cover every message and router-side features in detail; the browser bundle's size
 * budget cannot carry them, so the client keeps this table (layout.test.ts checks it against them).
 */
import type { WampMessage } from '../protocol/messages.js';
import * as W from './wire.js';

/**
 * Element names and kinds after the type code (i: ID, r: ID or 0 for a revocation, n: integer,
 * s: string, d: dict), then "+" when Arguments and ArgumentsKw may follow, "?" for optional Details.
 */
const layouts: Record<number, string> = {
  [W.HELLO]: 'realm:s details:d',
  [W.WELCOME]: 'session:i details:d',
  [W.ABORT]: 'details:d reason:s',
  [W.CHALLENGE]: 'authMethod:s extra:d',
  [W.AUTHENTICATE]: 'signature:s extra:d',
  [W.GOODBYE]: 'details:d reason:s',
  [W.ERROR]: 'requestType:n request:i details:d error:s +',
  [W.PUBLISH]: 'request:i options:d topic:s +',
  [W.PUBLISHED]: 'request:i publication:i',
  [W.SUBSCRIBE]: 'request:i options:d topic:s',
  [W.SUBSCRIBED]: 'request:i subscription:i',
  [W.UNSUBSCRIBE]: 'request:i subscription:i',
  [W.UNSUBSCRIBED]: 'request:r ?',
  [W.EVENT]: 'subscription:i publication:i details:d +',
  [W.CALL]: 'request:i options:d procedure:s +',
  [W.CANCEL]: 'request:i options:d',
  [W.RESULT]: 'request:i details:d +',
  [W.REGISTER]: 'request:i options:d procedure:s',
  [W.REGISTERED]: 'request:i registration:i',
  [W.UNREGISTER]: 'request:i registration:i',
  [W.UNREGISTERED]: 'request:r ?',
  [W.INVOCATION]: 'request:i registration:i details:d +',
  [W.INTERRUPT]: 'request:i options:d',
  [W.YIELD]: 'request:i options:d +',
};

/** The messages a router sends a client. */
export type RouterMessage = Extract<WampMessage, { type: 2 | 3 | 4 | 6 | 8 | 17 | 33 | 35 | 36 | 50 | 65 | 67 | 68 | 69 }>;
const fromRouter = new Set([2, 3, 4, 6, 8, 17, 33, 35, 36, 50, 65, 67, 68, 69]);

const isId = (value: unknown): boolean => Number.isInteger(value) && (value as number) > 0 && (value as number) <= 2 ** 53;
const kinds: Record<string, [test: (value: unknown) => boolean, expected: string]> = {
  i: [isId, 'an ID'],
  r: [(value) => value === 0 || isId(value), 'an ID or 0'],
  n: [Number.isInteger, 'an integer'],
  s: [(value) => typeof value === 'string', 'a string'],
  d: [(value) => typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value), 'a dict'],
  a: [Array.isArray, 'a list'],
};

/** Each layout as [name, kind] pairs, the tail written out as optional fields. */
const fieldsOf = new Map<number, { fields: [string, string][]; required: number }>();
for (const [type, layout] of Object.entries(layouts)) {
  const parts = layout.split(' ');
  const tail = parts[parts.length - 1]!.length === 1 ? parts.pop() : undefined;
  const required = parts.length;
  if (tail === '+') parts.push('args:a', 'kwargs:d');
  if (tail === '?') parts.push('details:d');
  fieldsOf.set(+type, { fields: parts.map((part) => part.split(':') as [string, string]), required });
}

/** The wire array of a message the client sends; kwargs bring an (empty) args list before them. */
export function encodeMessage(message: WampMessage): unknown[] {
  const record = message as unknown as Record<string, unknown>;
  const { fields, required } = fieldsOf.get(message.type)!;
  // A plain loop: this runs on every message sent, and slice/map/spread made three arrays each time.
  const wire: unknown[] = [message.type];
  for (let at = 0; at < required; at++) wire.push(record[fields[at]![0]]);
  const { args, kwargs } = record;
  if (kwargs !== undefined) wire.push(args ?? [], kwargs);
  else if (args !== undefined) wire.push(args);
  return wire;
}

/**
 * Checks a decoded frame from the router: one of the messages a router sends a client, each
 * element of its kind. Returns the message, or a string saying what is wrong (no wrapper object:
 * it runs on every message received).
 */
export function decodeMessage(raw: unknown): RouterMessage | string {
  const type = Array.isArray(raw) ? (raw[0] as number) : NaN;
  if (!fromRouter.has(type)) return Array.isArray(raw) ? `unexpected message type ${String(raw[0])}` : 'a message must be a list';
  const list = raw as unknown[];
  const { fields, required } = fieldsOf.get(type)!;
  if (list.length <= required || list.length > fields.length + 1) {
    return `message type ${type} must have ${required + 1} to ${fields.length + 1} elements, got ${list.length}`;
  }
  const message: Record<string, unknown> = { type };
  for (let at = 1; at < list.length; at++) {
    const [name, kind] = fields[at - 1]!;
    const [test, expected] = kinds[kind]!;
    if (!test(list[at])) return `message type ${type}: ${name} (element ${at}) must be ${expected}`;
    message[name] = list[at];
  }
  return message as unknown as RouterMessage;
}
