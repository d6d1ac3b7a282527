import { nestsDeeperThan, tooDeepMessage } from '../../codec/nesting.js';
import type { Args, Dict } from '../../protocol/messages.js';
import type { ChannelKind } from './protocol.js';

/**
 * One event, two protocols. A Pusher event E with data D on channel C is the WAMP publication to
 * topic_prefix + C with args [D'] and kwargs {event: E}, where D' is D decoded when D is JSON text
 * (the usual case: the SDKs send JSON) and D itself otherwise. Encrypted channels' data is ciphertext
 * the router must not read: it travels as the string it is.
 */

/** The Pusher event name of a WAMP publication that has no string kwargs.event. */
export const DEFAULT_EVENT_NAME = 'wamp.event';

/** Event data the router will not take: the text says why (pusher:error 4300, HTTP 400). */
export class EventDataRefusal extends Error {}

/**
 * `maxNestingDepth` is the router's max_nesting_depth, the data counting as one level: deeper data
 * is refused as every door refuses it (no subscriber's encoder could carry it).
 */
export function toPublication(event: string, data: unknown, kind: ChannelKind, maxNestingDepth: number): { args: Args; kwargs: Dict } {
  const value = kind === 'encrypted' ? data : decodeData(data);
  if (nestsDeeperThan(value, maxNestingDepth)) throw new EventDataRefusal(`its data: ${tooDeepMessage(maxNestingDepth)}`);
  return { args: [value], kwargs: { event } };
}

function decodeData(data: unknown): unknown {
  if (typeof data !== 'string') return data; // a client may send its data as an object already
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/**
 * The Pusher event of a WAMP publication: kwargs.event (else DEFAULT_EVENT_NAME) and the data as
 * JSON text. The data is args[0] when there is exactly one argument, the args array when there are
 * several, and the other kwargs (an object) when there are none. A string argument that is not
 * JSON text goes as it is, so a Pusher client's plain-text data comes back unchanged; any other
 * value is written as JSON (a string that happens to be JSON text is quoted, so it stays a string).
 */
export function toPusherEvent(args: Args, kwargs: Dict, kind: ChannelKind): { event: string; data: string } {
  const event = typeof kwargs.event === 'string' && kwargs.event !== '' ? kwargs.event : DEFAULT_EVENT_NAME;
  const value = args.length === 1 ? args[0] : args.length > 1 ? args : withoutEvent(kwargs);
  if (typeof value === 'string' && (kind === 'encrypted' || !isJsonText(value))) return { event, data: value };
  return { event, data: JSON.stringify(value, binaryAsBase64) ?? 'null' };
}

function withoutEvent(kwargs: Dict): Dict {
  const { event: _event, ...rest } = kwargs;
  return rest;
}

function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Binary values (from a MessagePack or CBOR publisher) have no JSON form: they go as base64 text. */
function binaryAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  if (ArrayBuffer.isView(original)) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64');
  return value;
}

/** Bytes of an event's data as Pusher counts them for its size limit. */
export function dataSize(data: unknown): number {
  return Buffer.byteLength(typeof data === 'string' ? data : JSON.stringify(data) ?? '', 'utf8');
}
