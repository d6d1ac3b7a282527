import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isArgon2, isScramKdf, scramKdfs, type ScramKdf } from '../protocol/scram.js';

/**
 * The arithmetic of WAMP-SCRAM (the WAMP spec's advanced profile, after RFC 5802 with SHA-256).
 * The router holds a principal's StoredKey and ServerKey only, never the password or the
 * SaltedPassword, so a sign-in costs a few HMACs here: the expensive key derivation (Argon2id or
 * PBKDF2) runs on the client, and once when the principal is made (scram-password.ts).
 */

/**
 * Autobahn|Python's derive_scram_credential: Argon2id, time cost 4096, 512 KiB, a 16-byte salt.
 * `junction scram-principal` makes principals so, and decoys look so when no principal is configured.
 */
export const defaultScramParameters = { kdf: 'argon2id-13', iterations: 4096, memory: 512 } as const;
export const scramSaltBytes = 16;

/** What the router keeps of one principal. */
export interface ScramCredential {
  kdf: ScramKdf;
  /** Argon2's time cost, or PBKDF2's iteration count. */
  iterations: number;
  /** Argon2's memory cost in KiB; absent for PBKDF2. */
  memory?: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** A principal's fields as written in a config or answered by a dynamic authenticator (salt and keys in hex). */
export interface ScramFields {
  kdf?: unknown;
  iterations?: unknown;
  memory?: unknown;
  salt?: unknown;
  storedKey?: unknown;
  serverKey?: unknown;
}

/** SHA-256's output, the length of StoredKey, ServerKey and the ClientProof. */
const keyBytes = 32;
const hex = /^(?:[0-9a-fA-F]{2})+$/;

/** The credential, or what is wrong with the fields (names as in the config: "stored-key"...). */
export function readScramCredential(fields: ScramFields): ScramCredential | string {
  const kdf = fields.kdf;
  if (!isScramKdf(kdf)) return `"kdf" must be one of ${scramKdfs.join(', ')}`;
  if (!positiveInteger(fields.iterations)) return '"iterations" must be a positive integer';
  const memory = fields.memory ?? undefined;
  if (memory !== undefined && !positiveInteger(memory)) return '"memory" must be a positive integer (KiB)';
  if (isArgon2(kdf) && memory === undefined) return `"memory" is needed with kdf "${kdf}"`;
  const salt = hexBytes(fields.salt);
  if (salt === undefined) return '"salt" must be hex';
  const storedKey = hexBytes(fields.storedKey);
  const serverKey = hexBytes(fields.serverKey);
  if (storedKey?.length !== keyBytes) return `"stored-key" must be ${keyBytes} bytes in hex`;
  if (serverKey?.length !== keyBytes) return `"server-key" must be ${keyBytes} bytes in hex`;
  const credential: ScramCredential = { kdf, iterations: fields.iterations, salt, storedKey, serverKey };
  // PBKDF2 has no memory cost; a Crossbar principal may carry one all the same, and it is sent as given.
  if (memory !== undefined) credential.memory = memory;
  return credential;
}

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function hexBytes(value: unknown): Buffer | undefined {
  return typeof value === 'string' && hex.test(value) ? Buffer.from(value, 'hex') : undefined;
}

function hmac(key: Uint8Array, text: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** StoredKey and ServerKey from the HMAC key a SaltedPassword gives (protocol/scram.ts hmacKeyOf). */
export function keysOf(hmacKey: Uint8Array): { storedKey: Buffer; serverKey: Buffer } {
  return { storedKey: sha256(hmac(hmacKey, 'Client Key')), serverKey: hmac(hmacKey, 'Server Key') };
}

/** A ClientProof as the AUTHENTICATE signature carries it: 32 bytes in base64. */
const base64Proof = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Whether the base64 ClientProof answers `message` for this StoredKey: the ClientKey it hides
 * (proof XOR HMAC(StoredKey, AuthMessage)) must hash to the StoredKey. Compared in constant time.
 */
export function proves(storedKey: Buffer, message: string, proof: string): boolean {
  const received = base64Proof.test(proof) ? Buffer.from(proof, 'base64') : Buffer.alloc(keyBytes);
  const signature = hmac(storedKey, message);
  for (let i = 0; i < keyBytes; i++) signature[i]! ^= received[i]!;
  return timingSafeEqual(sha256(signature), storedKey) && base64Proof.test(proof);
}

/** The ServerSignature (base64) that lets the client check the router knows its ServerKey. */
export function serverSignature(serverKey: Buffer, message: string): string {
  return hmac(serverKey, message).toString('base64');
}
