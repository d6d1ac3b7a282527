import type { Dict } from '../protocol/messages.js';
import { isDict } from '../protocol/parse.js';

/**
 * What a dynamic authenticator may answer (Crossbar's convention): a role name, or a dict with
 * the role and optionally the authid, realm and authextra to give the session, plus what the
 * method needs to check the client: the wampcra secret (with salt/iterations/keylen when salted)
 * or the cryptosign public key, or the scram principal (kdf, iterations, memory, salt, stored-key,
 * server-key; checked by the scram method).
 */
export interface Principal {
  role: string;
  authid?: string;
  realm?: string;
  extra?: Dict;
  secret?: string;
  salt?: string;
  iterations?: number;
  keylen?: number;
  pubkey?: string;
  kdf?: string;
  memory?: number;
  storedKey?: string;
  serverKey?: string;
}

export type PrincipalResult = { ok: true; principal: Principal } | { ok: false; why: string };

/** The answer's text fields, by their name there and in Principal. */
const textFields = [
  ['authid', 'authid'], ['realm', 'realm'], ['secret', 'secret'], ['salt', 'salt'], ['pubkey', 'pubkey'],
  ['kdf', 'kdf'], ['stored-key', 'storedKey'], ['server-key', 'serverKey'],
] as const;

const ed25519Hex = /^[0-9a-fA-F]{64}$/;

/** Reads an authenticator's answer; anything unexpected is a failure that says what was wrong. */
export function readPrincipal(answer: unknown): PrincipalResult {
  if (typeof answer === 'string') {
    return answer === '' ? bad('an empty role name') : { ok: true, principal: { role: answer } };
  }
  if (!isDict(answer)) return bad(`a ${describe(answer)} instead of a role name or a dict`);
  const principal: Principal = { role: '' };
  if (typeof answer.role !== 'string' || answer.role === '') return bad('no "role" (a non-empty string)');
  principal.role = answer.role;
  for (const [key, field] of textFields) {
    const value = answer[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value === '') return bad(`"${key}" that is not a non-empty string`);
    principal[field] = value;
  }
  for (const key of ['iterations', 'keylen', 'memory'] as const) {
    const value = answer[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) return bad(`"${key}" that is not a positive integer`);
    principal[key] = value;
  }
  if (answer.extra !== undefined && answer.extra !== null) {
    if (!isDict(answer.extra)) return bad('"extra" that is not a dict');
    principal.extra = answer.extra;
  }
  if (principal.pubkey !== undefined && !ed25519Hex.test(principal.pubkey)) {
    return bad('a "pubkey" that is not an Ed25519 public key in hex (64 characters)');
  }
  return { ok: true, principal };
}

function bad(what: string): PrincipalResult {
  return { ok: false, why: `the authenticator answered with ${what}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value;
}
