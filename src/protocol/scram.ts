/**
 * What both ends of WAMP-SCRAM compute alike (the WAMP spec's advanced profile, after RFC 5802
 * with SHA-256): the key derivation names and parameters, the SaltedPassword, and the
 * AuthMessage both sides sign. No Node built-ins: the client's browser bundles use this too
 * (WebCrypto for PBKDF2; Argon2id from hash-wasm, loaded only when a principal uses it).
 */

/**
 * The key derivation functions a principal may name: "argon2id-13" as Crossbar's config check and
 * Autobahn|Python spell it, "argon2id13" as the WAMP spec does, and "pbkdf2".
 */
export const scramKdfs = ['argon2id-13', 'argon2id13', 'pbkdf2'] as const;
export type ScramKdf = (typeof scramKdfs)[number];

export function isArgon2(kdf: ScramKdf): boolean {
  return kdf !== 'pbkdf2';
}

export function isScramKdf(value: unknown): value is ScramKdf {
  return (scramKdfs as readonly unknown[]).includes(value);
}

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
  const { argon2id } = await import('hash-wasm');
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

/** The attributes of one exchange that its AuthMessage is made of. */
export interface ScramExchange {
  /** After SASLprep. */
  authid: string;
  clientNonce: string;
  /** The client nonce followed by the router's. */
  serverNonce: string;
  /** Base64, as the CHALLENGE carried it. */
  salt: string;
  iterations: number;
}

/**
 * The two ways clients write the AuthMessage. "spec": the WAMP spec's and RFC 5802's, with the
 * authid escaped and the channel-binding attribute "c=biws" (base64 of "n,,"). "crossbar": what
 * Crossbar and Autobahn|Python compute, with the authid as it is and an empty "c=".
 */
export const authMessageForms = ['crossbar', 'spec'] as const;
export type AuthMessageForm = (typeof authMessageForms)[number];

export function authMessage(form: AuthMessageForm, exchange: ScramExchange): string {
  const spec = form === 'spec';
  const authid = spec ? exchange.authid.replaceAll('=', '=3D').replaceAll(',', '=2C') : exchange.authid;
  const binding = spec ? btoa('n,,') : '';
  return [
    `n=${authid},r=${exchange.clientNonce}`,
    `r=${exchange.serverNonce},s=${exchange.salt},i=${exchange.iterations}`,
    `c=${binding},r=${exchange.serverNonce}`,
  ].join(',');
}
