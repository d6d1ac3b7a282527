import { randomBytes } from 'node:crypto';
import { hmacKeyOf, saltedPassword, type ScramParameters } from '../protocol/scram-kdf.js';
import { isArgon2 } from '../protocol/scram.js';
import { defaultScramParameters, keysOf, scramSaltBytes } from './scram-keys.js';

/**
 * A WAMP-SCRAM principal made from a password: the key derivation the client repeats at each
 * sign-in. Only `junction scram-principal` and tests run it; the router never does (it keeps
 * StoredKey and ServerKey and checks proofs with HMACs, scram-keys.ts).
 */

/** The key StoredKey and ServerKey are made with (protocol/scram.ts: SaltedPassword, keyed as Autobahn does). */
export async function scramHmacKey(password: string, parameters: ScramParameters): Promise<Uint8Array> {
  return hmacKeyOf(parameters.kdf, await saltedPassword(password, parameters));
}

/** A principal's SCRAM fields as a Junction or Crossbar config takes them (salt and keys in hex). */
export interface ScramPrincipalFields {
  kdf: ScramParameters['kdf'];
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
  const { storedKey, serverKey } = keysOf(await scramHmacKey(password, parameters));
  return {
    kdf,
    iterations: parameters.iterations,
    ...(parameters.memory === undefined ? {} : { memory: parameters.memory }),
    salt: Buffer.from(parameters.salt).toString('hex'),
    'stored-key': storedKey.toString('hex'),
    'server-key': serverKey.toString('hex'),
  };
}
