import { messageTypeName, type MessageTypeName } from './codes.js';
import type { WampMessage } from './messages.js';
import { isValidUri } from './uri.js';

/** What went wrong with one incoming message, in words a client developer can act on. */
export interface ParseFailure {
  ok: false;
  error: string;
}
export interface ParseSuccess {
  ok: true;
  message: WampMessage;
}
export type ParseResult = ParseSuccess | ParseFailure;

/**
 * Element kinds of the wire arrays:
 * - id: an integer in 1..2^53 (request, session, subscription... IDs)
 * - revocable: an ID, or 0 in an UNSUBSCRIBED/UNREGISTERED the router sends unasked to revoke
 *   a subscription/registration (Advanced Profile); such a message must carry Details
 * - code: a known message type code (ERROR's request type)
 * - uri: a string; the router checks it against the realm's URI rules and answers a bad one
 *   with ERROR (or ABORT for HELLO's realm) wamp.error.invalid_uri, as the spec asks: an empty
 *   or malformed URI is the peer's mistake, not a violation of the protocol
 * - realm: HELLO's realm, a URI string or null (Autobahn|Python sends null when the client names
 *   none, for the router to assign one during sign-in, as Crossbar does)
 * - reason: a URI checked here, because no reply can carry an error for it (ABORT, GOODBYE, ERROR)
 * - string: any string
 * - dict: a plain object
 */
type Kind = 'id' | 'revocable' | 'code' | 'uri' | 'realm' | 'reason' | 'string' | 'dict';

interface Shape {
  fields: readonly (readonly [name: string, kind: Kind])[];
  /** Trailing elements allowed after the fields: a payload (args, kwargs) or optional Details. */
  tail?: 'payload' | 'details';
}

const MAX_ID = 2 ** 53;

const shapes: Record<MessageTypeName, Shape> = {
  HELLO: { fields: [['realm', 'realm'], ['details', 'dict']] },
  WELCOME: { fields: [['session', 'id'], ['details', 'dict']] },
  ABORT: { fields: [['details', 'dict'], ['reason', 'reason']] },
  CHALLENGE: { fields: [['authMethod', 'string'], ['extra', 'dict']] },
  AUTHENTICATE: { fields: [['signature', 'string'], ['extra', 'dict']] },
  GOODBYE: { fields: [['details', 'dict'], ['reason', 'reason']] },
  ERROR: {
    fields: [['requestType', 'code'], ['request', 'id'], ['details', 'dict'], ['error', 'reason']],
    tail: 'payload',
  },
  PUBLISH: { fields: [['request', 'id'], ['options', 'dict'], ['topic', 'uri']], tail: 'payload' },
  PUBLISHED: { fields: [['request', 'id'], ['publication', 'id']] },
  SUBSCRIBE: { fields: [['request', 'id'], ['options', 'dict'], ['topic', 'uri']] },
  SUBSCRIBED: { fields: [['request', 'id'], ['subscription', 'id']] },
  UNSUBSCRIBE: { fields: [['request', 'id'], ['subscription', 'id']] },
  UNSUBSCRIBED: { fields: [['request', 'revocable']], tail: 'details' },
  EVENT: { fields: [['subscription', 'id'], ['publication', 'id'], ['details', 'dict']], tail: 'payload' },
  CALL: { fields: [['request', 'id'], ['options', 'dict'], ['procedure', 'uri']], tail: 'payload' },
  CANCEL: { fields: [['request', 'id'], ['options', 'dict']] },
  RESULT: { fields: [['request', 'id'], ['details', 'dict']], tail: 'payload' },
  REGISTER: { fields: [['request', 'id'], ['options', 'dict'], ['procedure', 'uri']] },
  REGISTERED: { fields: [['request', 'id'], ['registration', 'id']] },
  UNREGISTER: { fields: [['request', 'id'], ['registration', 'id']] },
  UNREGISTERED: { fields: [['request', 'revocable']], tail: 'details' },
  INVOCATION: {
    fields: [['request', 'id'], ['registration', 'id'], ['details', 'dict']],
    tail: 'payload',
  },
  INTERRUPT: { fields: [['request', 'id'], ['options', 'dict']] },
  YIELD: { fields: [['request', 'id'], ['options', 'dict']], tail: 'payload' },
};

/**
 * A plain object. Class instances are not dicts: decoders produce them for things that are not
 * WAMP dicts (cbor-x: Date for tag 1, Tag for unknown tags; msgpackr: a marker for byte 0xc1).
 */
export function isDict(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (ArrayBuffer.isView(value)) return 'binary';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  if (typeof value === 'number') return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
  if (typeof value !== 'object') return `a ${typeof value}`;
  return isDict(value) ? 'a dict' : `a ${(value as object).constructor?.name ?? 'class instance'} object`;
}

const expectations: Record<Kind, string> = {
  id: 'an integer ID in 1..2^53',
  revocable: 'an integer ID in 1..2^53, or 0 for a revocation',
  code: 'a WAMP message type code',
  uri: 'a URI string',
  realm: 'a URI string or null',
  reason: 'a URI',
  string: 'a string',
  dict: 'a dict',
};

function checkElement(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case 'id': return isId(value);
    case 'revocable': return value === 0 || isId(value);
    case 'code': return typeof value === 'number' && messageTypeName(value) !== undefined;
    case 'uri': return typeof value === 'string';
    case 'realm': return typeof value === 'string' || value === null;
    case 'reason': return typeof value === 'string' && isValidUri(value, { strict: false });
    case 'string': return typeof value === 'string';
    case 'dict': return isDict(value);
  }
}

function fail(error: string): ParseFailure {
  return { ok: false, error };
}

/** The Options or Details field of a shape: where Payload Passthru Mode is declared. */
function dictFieldOf(shape: Shape): string {
  return shape.fields.find(([, kind]) => kind === 'dict')![0];
}

/** Whether Options/Details announce Payload Passthru Mode: `ppt_scheme` (spec) or `enc_algo` (Autobahn). */
function declaresPassthru(dict: Record<string, unknown>): boolean {
  return typeof dict.ppt_scheme === 'string' || typeof dict.enc_algo === 'string';
}

/**
 * Reads the trailing Arguments/ArgumentsKw into `message`, or, in Payload Passthru Mode, the one
 * binary payload that replaces them. Returns what is wrong, or undefined.
 */
function readPayload(name: MessageTypeName, shape: Shape, raw: unknown[], message: Record<string, unknown>): string | undefined {
  const at = shape.fields.length + 1;
  if (raw.length === at) return undefined;
  const args = raw[at];
  if (args instanceof Uint8Array) {
    const dictField = dictFieldOf(shape);
    if (!declaresPassthru(message[dictField] as Record<string, unknown>)) {
      return `${name} Arguments (element ${at}) must be a list, got binary (a binary payload needs ${dictField}.ppt_scheme)`;
    }
    if (raw.length > at + 1) return `${name} must end with its passthru payload (element ${at}), got ${raw.length} elements`;
    message.payload = args;
    return undefined;
  }
  if (!Array.isArray(args)) return `${name} Arguments (element ${at}) must be a list, got ${describe(args)}`;
  message.args = args;
  if (raw.length > at + 1) {
    const kwargs = raw[at + 1];
    if (!isDict(kwargs)) return `${name} ArgumentsKw (element ${at + 1}) must be a dict, got ${describe(kwargs)}`;
    message.kwargs = kwargs;
  }
  return undefined;
}

/**
 * Turns a decoded wire array into a typed message, checking arity and every element's type.
 * Never throws: a malformed message yields a failure whose text names the element at fault.
 */
export function parseMessage(raw: unknown): ParseResult {
  if (!Array.isArray(raw)) return fail(`a WAMP message must be a list, got ${describe(raw)}`);
  if (raw.length === 0) return fail('a WAMP message must not be an empty list');
  const code = raw[0];
  if (typeof code !== 'number' || !Number.isInteger(code)) {
    return fail(`the first element of a WAMP message must be its integer type code, got ${describe(code)}`);
  }
  const name = messageTypeName(code);
  if (!name) return fail(`unknown WAMP message type ${code}`);
  const shape = shapes[name];
  const fixed = shape.fields.length + 1;
  const maxLength = fixed + (shape.tail === 'payload' ? 2 : shape.tail === 'details' ? 1 : 0);
  if (raw.length < fixed || raw.length > maxLength) {
    const expected = fixed === maxLength ? `${fixed}` : `${fixed} to ${maxLength}`;
    return fail(`${name} must have ${expected} elements, got ${raw.length}`);
  }
  const message: Record<string, unknown> = { type: code };
  for (let i = 0; i < shape.fields.length; i++) {
    const [field, kind] = shape.fields[i]!;
    const value = raw[i + 1];
    if (!checkElement(kind, value)) {
      return fail(`${name} ${field} (element ${i + 1}) must be ${expectations[kind]}, got ${describe(value)}`);
    }
    message[field] = value;
  }
  if (shape.tail === 'payload') {
    const problem = readPayload(name, shape, raw, message);
    if (problem) return fail(problem);
  } else if (shape.tail === 'details' && raw.length > fixed) {
    const details = raw[fixed];
    if (!isDict(details)) return fail(`${name} details (element ${fixed}) must be a dict, got ${describe(details)}`);
    message.details = details;
  }
  if (message.request === 0 && message.details === undefined) {
    return fail(`${name} request 0 (a revocation) must carry Details (element ${fixed})`);
  }
  return { ok: true, message: message as unknown as WampMessage };
}
