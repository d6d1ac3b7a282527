import type { Codec } from './codec.js';
import { fromBase64, toBase64 } from './base64.js';

/**
 * JSON with WAMP's binary convention: a byte string travels as a string made of a NUL
 * character followed by the base64 of the bytes. The replacer and reviver cost a lot, so they
 * run only when a message actually holds binary.
 */

const MAX_DEPTH = 64;

function containsBinary(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return false;
  if (ArrayBuffer.isView(value)) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (containsBinary(item, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (containsBinary((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

function binaryReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  if (ArrayBuffer.isView(original)) {
    const bytes = new Uint8Array(original.buffer, original.byteOffset, original.byteLength);
    return '\u0000' + toBase64(bytes);
  }
  return value;
}

function binaryReviver(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.charCodeAt(0) === 0) return fromBase64(value.slice(1));
  return value;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

export const jsonCodec: Codec = {
  name: 'json',
  subprotocol: 'wamp.2.json',
  binary: false,
  encode(wire) {
    return containsBinary(wire) ? JSON.stringify(wire, binaryReplacer) : JSON.stringify(wire);
  },
  decode(frame) {
    const text = typeof frame === 'string' ? frame : textDecoder.decode(frame);
    // A NUL can only appear in JSON text escaped, so its absence rules out binary values.
    return text.includes('\\u0000') ? JSON.parse(text, binaryReviver) : JSON.parse(text);
  },
};
