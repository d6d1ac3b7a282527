import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HttpSignatureOptions } from '../../../config/model.js';
import { defaultReplayMemory } from '../../../config/schema-http-bridge.js';
import { Refusal, quote } from './refusal.js';
import { ReplayGuard } from './replay-guard.js';

/** The query parameters of a signed request, as Crossbar defines them. */
export interface SignatureFields {
  key: string;
  /** UTC ISO-8601 with a "Z", e.g. 2011-10-14T16:59:51.123Z. */
  timestamp: string;
  /** An integer; signed but not required to grow (see the replay rule in docs/http-bridge.md). */
  seq: string;
  /** A random integer in [0, 2^53]: the identity of the request for replay protection. */
  nonce: string;
  /** URL-safe base64 of HMAC-SHA256(secret, key + timestamp + seq + nonce + body). */
  signature: string;
}

/** The query parameters that sign a request, in the order Crossbar's clients send them. */
export const signatureParameters = ['key', 'timestamp', 'seq', 'nonce', 'signature'] as const;

/**
 * The raw HMAC-SHA256 digest Crossbar's bridge expects, over the query values exactly as they
 * arrived (after URL decoding) followed by the body's bytes.
 */
export function signatureDigest(secret: string, fields: Omit<SignatureFields, 'signature'>, body: Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(fields.key).update(fields.timestamp).update(fields.seq).update(fields.nonce)
    .update(body)
    .digest();
}

/**
 * Checks a signed request: every parameter present, the key known, the signature right, the
 * timestamp within the allowed delta of this clock, and the nonce never seen within the time
 * window. The secret never appears in an answer or a log line; nor does the expected signature.
 */
export class SignatureVerifier {
  private readonly guard: ReplayGuard;
  private readonly keyDigest: Buffer;
  private readonly deltaMs: number;

  constructor(private readonly options: HttpSignatureOptions, private readonly now: () => number = Date.now) {
    this.deltaMs = options.timestampDeltaLimitSeconds * 1000;
    this.keyDigest = digestOf(options.key);
    this.guard = new ReplayGuard(options.replayMemory ?? defaultReplayMemory, now);
  }

  verify(query: URLSearchParams, body: Buffer): void {
    const fields = readFields(query);
    if (!timingSafeEqual(digestOf(fields.key), this.keyDigest)) {
      throw new Refusal(401, 'unknown_key', 'the "key" query parameter is not the key of this service');
    }
    const timestamp = parseTimestamp(fields.timestamp);
    checkInteger('seq', fields.seq);
    checkInteger('nonce', fields.nonce);
    const given = decodeSignature(fields.signature);
    const expected = signatureDigest(this.options.secret, fields, body);
    if (!timingSafeEqual(given, expected)) {
      throw new Refusal(401, 'signature_mismatch',
        'the signature does not match: expected URL-safe base64 of HMAC-SHA256(secret, key + timestamp + seq + nonce + body)');
    }
    this.checkTimestamp(timestamp);
    // The request could be accepted again until its timestamp is more than the delta in the past.
    const admission = this.guard.admit(`${fields.key}\n${fields.nonce}`, timestamp + this.deltaMs);
    if (admission === 'replayed') {
      throw new Refusal(401, 'replayed_nonce', `nonce ${fields.nonce} was already used: every signed request needs a new random nonce`);
    }
    if (admission === 'full') {
      throw new Refusal(429, 'replay_memory_full',
        'too many signed requests within the timestamp window to remember them all (replay_memory); try again shortly', undefined, { 'retry-after': '1' });
    }
  }

  private checkTimestamp(timestamp: number): void {
    const offset = timestamp - this.now();
    if (Math.abs(offset) <= this.deltaMs) return;
    const seconds = (Math.abs(offset) / 1000).toFixed(1);
    const when = offset < 0 ? `${seconds} s in the past` : `${seconds} s in the future`;
    throw new Refusal(401, 'timestamp_out_of_range',
      `the timestamp is ${when}; it must be within ${this.options.timestampDeltaLimitSeconds} s of the router's clock (now ${new Date(this.now()).toISOString()})`);
  }
}

function digestOf(text: string): Buffer {
  // Equal-length inputs for timingSafeEqual, whatever the lengths of the compared strings.
  return createHash('sha256').update(text).digest();
}

function readFields(query: URLSearchParams): SignatureFields {
  const missing = signatureParameters.filter((name) => !query.has(name));
  if (missing.length > 0) {
    const names = missing.map((name) => `"${name}"`).join(', ');
    throw new Refusal(401, 'signature_missing', `this service takes signed requests only; missing query parameter${missing.length > 1 ? 's' : ''} ${names}`);
  }
  const twice = signatureParameters.find((name) => query.getAll(name).length > 1);
  if (twice) throw new Refusal(401, 'signature_malformed', `the query parameter "${twice}" is given more than once`);
  return Object.fromEntries(signatureParameters.map((name) => [name, query.get(name)!])) as unknown as SignatureFields;
}

const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/;

/** Milliseconds since the epoch of a UTC ISO-8601 timestamp as Crossbar's clients send it. */
export function parseTimestamp(text: string): number {
  const match = timestampPattern.exec(text);
  const parts = match?.slice(1, 7).map(Number);
  if (match && parts) {
    const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
    const millis = Number((match[7] ?? '0').padEnd(3, '0').slice(0, 3));
    const time = Date.UTC(year, month - 1, day, hour, minute, second, millis);
    const date = new Date(time);
    // Date.UTC rolls over out-of-range fields (February 30th): a round trip catches them.
    if (date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
      && hour < 24 && minute < 60 && second < 60) return time;
  }
  throw new Refusal(401, 'signature_malformed', `timestamp ${quote(text)} is not a UTC ISO-8601 time such as 2011-10-14T16:59:51.123Z`);
}

function checkInteger(name: 'seq' | 'nonce', text: string): void {
  if (/^\d{1,16}$/.test(text) && Number(text) <= 2 ** 53) return;
  throw new Refusal(401, 'signature_malformed', `${name} ${quote(text)} is not an integer between 0 and 2^53`);
}

function decodeSignature(text: string): Buffer {
  if (/^[A-Za-z0-9_-]{43}=?$/.test(text)) return Buffer.from(text, 'base64url');
  throw new Refusal(401, 'signature_malformed', 'the signature is not the URL-safe base64 encoding of a 32-byte HMAC-SHA256');
}
