/**
 * What both ends of WAMP-SCRAM agree on (the WAMP spec's advanced profile, after RFC 5802 with
 * SHA-256): the key derivation names, and the AuthMessage both sides sign. The key derivation
 * itself is in scram-kdf.ts. No Node built-ins: the client's browser bundles use this too.
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
