import type { Codec } from './codec.js';
import { fromBase64, toBase64 } from './base64.js';

/**
 * JSON with WAMP's binary convention: a byte string travels as a string made of a NUL
 * character followed by the base64 of the bytes. Integers beyond ±2^53 (BigInt, from a CBOR or
 * MessagePack peer) are written as their exact decimal digits; what a JSON peer sends is read as
 * JavaScript reads JSON, so its integers beyond ±2^53 arrive rounded (docs/payloads.md).
 * The replacer and the exact writer cost a lot, so they run only when a message needs them.
 */

const BINARY = 1;
const BIG_INTEGER = 2;

/** Which of bytes and BigInts occur in `root`: an iterative walk that stops once it found both. */
function specialValues(root: unknown): number {
  let found = 0;
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'bigint') found |= BIG_INTEGER;
    else if (value === null || typeof value !== 'object') continue;
    else if (ArrayBuffer.isView(value)) found |= BINARY;
    else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'object' || typeof item === 'bigint') pending.push(item);
      }
    } else {
      const dict = value as Record<string, unknown>;
      for (const key in dict) {
        const item = dict[key];
        if (typeof item === 'object' || typeof item === 'bigint') pending.push(item);
      }
    }
    if (found === (BINARY | BIG_INTEGER)) break;
  }
  return found;
}

function binaryString(bytes: ArrayBufferView): string {
  return '\u0000' + toBase64(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function binaryReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // The holder's own property: a Buffer's toJSON has already run on `value`.
  const original = this[key];
  return ArrayBuffer.isView(original) ? binaryString(original) : value;
}

/** JSON.stringify's output, plus BigInts as digits and bytes by the binary convention. */
function exactJson(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (ArrayBuffer.isView(value)) return JSON.stringify(binaryString(value));
  if (Array.isArray(value)) return `[${value.map((item) => exactJson(item) ?? 'null').join(',')}]`;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return JSON.stringify(value); // a Date...: as JSON has it
  const members: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    const text = exactJson(item);
    if (text !== undefined) members.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${members.join(',')}}`;
}

function binaryReviver(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.charCodeAt(0) === 0) return fromBase64(value.slice(1));
  return value;
}

/** Any value as JSON text under WAMP's conventions: what the json codec writes, for HTTP bodies too. */
export function jsonText(value: unknown): string {
  const special = specialValues(value);
  if (special === 0) return JSON.stringify(value);
  if (special === BINARY) return JSON.stringify(value, binaryReplacer);
  return exactJson(value)!;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

export const jsonCodec: Codec = {
  name: 'json',
  subprotocol: 'wamp.2.json',
  binary: false,
  encode(wire) {
    return jsonText(wire);
  },
  decode(frame) {
    const text = typeof frame === 'string' ? frame : textDecoder.decode(frame);
    // A NUL can only appear in JSON text escaped, so its absence rules out binary values.
    return text.includes('\\u0000') ? JSON.parse(text, binaryReviver) : JSON.parse(text);
  },
};
