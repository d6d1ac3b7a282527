import { fromHex, subtle, toHex } from './bytes.js';

/** The fixed PKCS#8 header of an Ed25519 private key (RFC 8410); the 32-byte seed follows it. */
const pkcs8Header = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

export interface CryptosignKey {
  /** The public key, 64 hex digits, as HELLO's authextra.pubkey carries it. */
  publicKey: string;
  /** The cryptosign signature of a hex challenge: hex(signature || challenge bytes). */
  sign(challengeHex: unknown): Promise<string>;
}

function base64UrlToBytes(text: string): Uint8Array {
  const raw = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(raw, (char) => char.charCodeAt(0));
}

/** Imports an Ed25519 seed through WebCrypto (browsers and Node alike) and reads its public key. */
export async function cryptosignKey(seed: string | Uint8Array): Promise<CryptosignKey> {
  const seedBytes = typeof seed === 'string' ? fromHex(seed, 'cryptosign privateKey') : seed;
  if (seedBytes.length !== 32) {
    throw new TypeError(`cryptosign privateKey must be a 32-byte Ed25519 seed, got ${seedBytes.length} bytes`);
  }
  const pkcs8 = new Uint8Array(48);
  pkcs8.set(pkcs8Header);
  pkcs8.set(seedBytes, 16);
  const key = await subtle().importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await subtle().exportKey('jwk', key);
  return {
    publicKey: toHex(base64UrlToBytes(jwk.x!)),
    async sign(challengeHex) {
      const challenge = fromHex(challengeHex, 'cryptosign challenge');
      const signature = new Uint8Array(await subtle().sign({ name: 'Ed25519' }, key, challenge));
      return toHex(signature) + (challengeHex as string);
    },
  };
}
