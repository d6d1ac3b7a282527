import { isArgon2, type ScramKdf } from './scram.js';

/**
 * WAMP-SCRAM's key derivation, the same at both ends: in `junction scram-principal` and in the
 * client, browsers included (WebCrypto for PBKDF2; Argon2id from hash-wasm's WebAssembly, loaded
 * only when a principal uses it). The router never runs it.
 */

export interface ScramParameters {
  kdf: ScramKdf;
  /** Argon2's time cost, or PBKDF2's iteration count. */
  iterations: number;
  /** KiB, Argon2 only. */
  memory?: number;
  salt: Uint8Array;
}

/**
 * SaltedPassword = KDF(password, salt, parameters), as Autobahn|Python's AuthScram computes it:
 * the password's UTF-8 bytes (no SASLprep: Autobahn applies none, and the two sides must agree),
 * the raw salt, 32 bytes of output, parallelism 1 for Argon2id version 1.3.
 */
export async function saltedPassword(password: string, parameters: ScramParameters): Promise<Uint8Array> {
  const secret = new TextEncoder().encode(password);
  const salt = new Uint8Array(parameters.salt);
  if (!isArgon2(parameters.kdf)) {
    const subtle = globalThis.crypto.subtle;
    const material = await subtle.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
    return new Uint8Array(await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: parameters.iterations }, material, 256));
  }
  if (parameters.memory === undefined) throw new Error(`kdf "${parameters.kdf}" needs a memory cost`);
  const { argon2id } = await import('./argon2.js');
  return argon2id({
    password: secret,
    salt,
    iterations: parameters.iterations,
    memorySize: parameters.memory,
    parallelism: 1,
    hashLength: 32,
    outputType: 'binary',
  });
}

/**
 * The key the ClientKey and ServerKey HMACs use. Autobahn keys them with the Argon2 hash as
 * unpadded base64 text (the hash part of its "$argon2id$..." string) but with PBKDF2's raw bytes;
 * so do both ends here.
 */
export function hmacKeyOf(kdf: ScramKdf, salted: Uint8Array): Uint8Array {
  if (!isArgon2(kdf)) return salted;
  return new TextEncoder().encode(btoa(String.fromCharCode(...salted)).replace(/=+$/, ''));
}
