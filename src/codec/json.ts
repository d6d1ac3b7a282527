import type { Codec } from './codec.js';
import { fromBase64, toBase64 } from './base64.js';

/**
 * JSON with WAMP's binary convention: a byte string travels as a string made of a NUL
 * character followed by the base64 of the bytes. Integers beyond ±2^53 (BigInt, from a CBOR or
 * MessagePack peer) are written as their exact decimal digits; what a JSON peer sends is read as
 * JavaScript reads JSON, so its integers beyond ±2^53 arrive rounded (docs/payloads.md).
 * The exact writer costs more than JSON.stringify, so it runs only when a message needs it.
 */

/**
 * Whether `value` holds bytes or BigInts, which JSON.stringify cannot write our way. It runs on
 * every message sent, so it walks lists with `some`: a for-of iterator per list was about a tenth
 * of the router's allocation in the RPC benchmark (bench/RESULTS.md, issue #14).
 */
function needsExactWriter(value: unknown): boolean {
  if (typeof value === 'bigint' || ArrayBuffer.isView(value)) return true;
  // Lists and plain dicts; a dict without prototype is written by JSON.stringify (see exactJson).
  return value instanceof Object && (Array.isArray(value) ? value : Object.values(value)).some(needsExactWriter);
}

/** JSON.stringify's output, plus BigInts as digits and bytes by the binary convention (kept small: it ships to browsers). */
function exactJson(value: unknown): string | undefined {
  if (typeof value === 'bigint') return `${value}`;
  // Base64 needs no escaping: the JSON string is the escaped NUL and the base64 itself.
  if (ArrayBuffer.isView(value)) return `"\\u0000${toBase64(value)}"`;
  // An array in a template literal is its items joined with ",".
  if (Array.isArray(value)) return `[${value.map((item) => exactJson(item) ?? 'null')}]`;
  // Scalars, null, and objects other than plain dicts (a Date...): as JSON.stringify writes them.
  if ((value as object | undefined)?.constructor !== Object) return JSON.stringify(value);
  return `{${Object.entries(value as object).flatMap(([key, item]) => {
    const text = exactJson(item);
    // Never an empty string: JSON text for a value has at least one character.
    return text ? `${JSON.stringify(key)}:${text}` : [];
  })}}`;
}

function binaryReviver(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.charCodeAt(0) === 0 ? fromBase64(value.slice(1)) : value;
}

/** Any value as JSON text under WAMP's conventions: what the json codec writes, for HTTP bodies too. */
export function jsonText(value: unknown): string {
  return needsExactWriter(value) ? exactJson(value)! : JSON.stringify(value);
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
    return JSON.parse(text, text.includes('\\u0000') ? binaryReviver : undefined);
  },
};
