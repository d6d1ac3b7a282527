/**
 * The node key: the Ed25519 key a router link signs in with (cryptosign), in Crossbar's files
 * beside the config: key.priv ("private-key-ed25519: <64 hex>" among "name: value" lines) and
 * key.pub. Crossbar makes both on a node's first start; so does Junction, when a realm has links.
 */

import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RouterLinkConfig } from '../../config/model.js';
import { StartupError } from '../startup-errors.js';

export interface NodeKey {
  /** The 32-byte seed, hex. */
  privateKey: string;
  /** hex; what the other router's cryptosign principal lists in authorized_keys. */
  publicKey: string;
}

const hexKey = /^[0-9a-f]{64}$/i;

function tagged(text: string, tag: string): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim() === tag) return line.slice(colon + 1).trim();
  }
  return undefined;
}

function seedHex(key: { export(options: { format: 'jwk' }): { d?: string; x?: string } }, part: 'd' | 'x'): string {
  return Buffer.from(key.export({ format: 'jwk' })[part]!, 'base64url').toString('hex');
}

function readKey(file: string): NodeKey {
  const text = readFileSync(file, 'utf8');
  const privateKey = tagged(text, 'private-key-ed25519');
  if (privateKey === undefined || !hexKey.test(privateKey)) {
    throw new StartupError('node_key_unusable', `${file}: expected a line "private-key-ed25519: <64 hex digits>" (Crossbar's node key format)`);
  }
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(privateKey, 'hex')]);
  const publicKey = seedHex(createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })), 'x');
  return { privateKey: privateKey.toLowerCase(), publicKey };
}

function makeKey(file: string): NodeKey {
  const { privateKey: secret, publicKey: open } = generateKeyPairSync('ed25519');
  const key = { privateKey: seedHex(secret, 'd'), publicKey: seedHex(open, 'x') };
  const header = `creator: junction\ncreated-at: ${new Date().toISOString()}\n`;
  const publicLine = `public-key-ed25519: ${key.publicKey}\n`;
  writeFileSync(file, `${header}${publicLine}private-key-ed25519: ${key.privateKey}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(join(dirname(file), 'key.pub'), `${header}${publicLine}`, { flag: 'w' });
  return key;
}

/** Reads the node key, or makes it (`made` tells which) when the file does not exist. */
export function loadNodeKey(file: string): { key: NodeKey; made: boolean } {
  try {
    if (existsSync(file)) return { key: readKey(file), made: false };
    return { key: makeKey(file), made: true };
  } catch (error) {
    if (error instanceof StartupError) throw error;
    throw new StartupError('node_key_unusable', `${file}: ${(error as Error).message}`);
  }
}

/**
 * What `junction check` says of the node key the links sign in with: the problem of a key file that
 * exists and is no key (start refuses it); none for a missing one, which start makes.
 */
export function nodeKeyProblems(links: readonly RouterLinkConfig[]): StartupError[] {
  const file = links.find((link) => link.auth.method === 'cryptosign')?.nodeKeyFile;
  if (file === undefined || !existsSync(file)) return [];
  try {
    loadNodeKey(file);
    return [];
  } catch (error) {
    if (error instanceof StartupError) return [error];
    throw error;
  }
}
