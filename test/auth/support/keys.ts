import { generateKeyPairSync } from 'node:crypto';

/** An Ed25519 key pair in the shape AutobahnJS's auth_cryptosign expects (tweetnacl's: 64-byte secretKey = seed + public key). */
export interface NaclKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function ed25519KeyPair(): NaclKeyPair {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const publicKey = Buffer.from(jwk.x!, 'base64url');
  return { publicKey, secretKey: Buffer.concat([seed, publicKey]) };
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
