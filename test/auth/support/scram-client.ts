import { createHmac } from 'node:crypto';
import { keysOf } from '../../../src/auth/scram-keys.js';
import { scramHmacKey } from '../../../src/auth/scram-password.js';
import { authMessage, type AuthMessageForm, type ScramKdf } from '../../../src/protocol/scram.js';
import type { Dict } from '../../../src/protocol/messages.js';

/**
 * The client's side of WAMP-SCRAM, for tests: the ClientProof for a CHALLENGE, and the
 * ServerSignature the WELCOME must then carry. `form` picks the AuthMessage (scram-keys.ts).
 */
export async function scramAnswer(
  password: string,
  hello: { authid: string; clientNonce: string },
  challenge: Dict,
  form: AuthMessageForm = 'crossbar',
): Promise<{ proof: string; serverSignature: string }> {
  const salted = await scramHmacKey(password, {
    kdf: challenge.kdf as ScramKdf,
    iterations: challenge.iterations as number,
    ...(challenge.memory === undefined ? {} : { memory: challenge.memory as number }),
    salt: Buffer.from(challenge.salt as string, 'base64'),
  });
  const message = authMessage(form, {
    authid: hello.authid,
    clientNonce: hello.clientNonce,
    serverNonce: challenge.nonce as string,
    salt: challenge.salt as string,
    iterations: challenge.iterations as number,
  });
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const { storedKey, serverKey } = keysOf(salted);
  const signature = createHmac('sha256', storedKey).update(message).digest();
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!)).toString('base64');
  return { proof, serverSignature: createHmac('sha256', serverKey).update(message).digest('base64') };
}

/** A client nonce as Autobahn|Python makes it: 16 random bytes in base64. */
export function clientNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
}
