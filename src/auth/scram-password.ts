import { pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { isArgon2, keysOf, type ScramKdf } from './scram-keys.js';

/**
 * A WAMP-SCRAM principal made from a password: the key derivation the client repeats at each
 * sign-in. Only `junction scram-principal` and tests run it; the router never does (it keeps
 * StoredKey and ServerKey and checks proofs with HMACs, scram-keys.ts).
 */

const pbkdf2Async = promisify(pbkdf2);

/** Autobahn|Python's derive_scram_credential: Argon2id, time cost 4096, 512 KiB, a 16-byte salt. */
export const defaultScramParameters = { kdf: 'argon2id-13', iterations: 4096, memory: 512 } as const;
export const scramSaltBytes = 16;

export interface ScramParameters {
  kdf: ScramKdf;
  iterations: number;
  /** KiB, Argon2 only. */
  memory?: number;
  salt: Uint8Array;
}

/**
 * SaltedPassword = KDF(password, salt, parameters), as Autobahn|Python's AuthScram computes it:
 * the password's UTF-8 bytes (no SASLprep: Autobahn applies none, and the two sides must agree),
 * the raw salt, 32 bytes of output, parallelism 1 for Argon2id version 1.3. Autobahn keys its
 * HMACs with the Argon2 hash as unpadded base64 text (the hash part of the "$argon2id$..." string)
 * but with PBKDF2's raw bytes; so does this.
 */
export async function saltedPassword(password: string, parameters: ScramParameters): Promise<Uint8Array> {
  const secret = Buffer.from(password, 'utf8');
  if (!isArgon2(parameters.kdf)) return pbkdf2Async(secret, parameters.salt, parameters.iterations, 32, 'sha256');
  if (parameters.memory === undefined) throw new Error(`kdf "${parameters.kdf}" needs a memory cost`);
  const hash = await argon2idAsync(secret, parameters.salt, { t: parameters.iterations, m: parameters.memory, p: 1, dkLen: 32, version: 0x13 });
  return Buffer.from(Buffer.from(hash).toString('base64').replace(/=+$/, ''), 'ascii');
}

/** A principal's SCRAM fields as a Junction or Crossbar config takes them (salt and keys in hex). */
export interface ScramPrincipalFields {
  kdf: ScramKdf;
  iterations: number;
  memory?: number;
  salt: string;
  'stored-key': string;
  'server-key': string;
}

/** Derives the principal's keys; the salt is random unless given. */
export async function scramPrincipal(password: string, options: Partial<ScramParameters> = {}): Promise<ScramPrincipalFields> {
  const kdf = options.kdf ?? defaultScramParameters.kdf;
  const parameters: ScramParameters = {
    kdf,
    iterations: options.iterations ?? defaultScramParameters.iterations,
    salt: options.salt ?? randomBytes(scramSaltBytes),
  };
  if (isArgon2(kdf)) parameters.memory = options.memory ?? defaultScramParameters.memory;
  const { storedKey, serverKey } = keysOf(await saltedPassword(password, parameters));
  return {
    kdf,
    iterations: parameters.iterations,
    ...(parameters.memory === undefined ? {} : { memory: parameters.memory }),
    salt: Buffer.from(parameters.salt).toString('hex'),
    'stored-key': storedKey.toString('hex'),
    'server-key': serverKey.toString('hex'),
  };
}
