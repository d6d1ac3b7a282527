/**
 * Junction nodes in this process linked by `rlinks`, for suites about what crosses a link: each
 * node has its folder (config and Crossbar's key.priv beside it), an open realm1 with a role
 * `rlink` that discloses callers and publishers, and a recording logger.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { recordingLogger, type LogEntry } from './node.js';

export interface NodeKeys {
  privateKey: string;
  publicKey: string;
}

/** A node key pair, as Crossbar's key.priv holds it (hex seed and public key). */
export function nodeKeys(): NodeKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const hex = (key: { export(options: { format: 'jwk' }): { d?: string; x?: string } }, part: 'd' | 'x') => Buffer.from(key.export({ format: 'jwk' })[part]!, 'base64url').toString('hex');
  return { privateKey: hex(privateKey, 'd'), publicKey: hex(publicKey, 'x') };
}

const everything = { call: true, register: true, publish: true, subscribe: true };
export const openRoles = [
  { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: everything }] },
  { name: 'rlink', permissions: [{ uri: '', match: 'prefix', allow: everything, disclose: { caller: true, publisher: true } }] },
];

/** Makes `dir` and writes Crossbar's key.priv with `keys` into it. */
export async function writeNodeKey(dir: string, keys: NodeKeys): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'key.priv'), `creator: test\npublic-key-ed25519: ${keys.publicKey}\nprivate-key-ed25519: ${keys.privateKey}\n`, { mode: 0o600 });
}

/** A transport's `auth` that lets in the link signing in with `publicKey` as authid "rlink". */
export const linkAuth = (publicKey: string) => ({
  cryptosign: { type: 'static', principals: { rlink: { realm: 'realm1', role: 'rlink', authorized_keys: [publicKey] } } },
});

export interface LinkedNode {
  node: RunningNode;
  dir: string;
  lines: LogEntry[];
  /** The URL of the node's open WebSocket transport ("clients") for test clients. */
  clientUrl: string;
}

/**
 * Starts a node in `dir` with the node key `keys`, an open WebSocket transport "clients"
 * (port 0), the transports `transports` and realm1's `rlinks`.
 */
export async function startLinkedNode(dir: string, keys: NodeKeys, transports: object[], rlinks: object[] = []): Promise<LinkedNode> {
  await writeNodeKey(dir, keys);
  const document = {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: openRoles, rlinks }],
      transports: [{ type: 'websocket', id: 'clients', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' } }, ...transports],
    }],
  };
  const lines: LogEntry[] = [];
  const node = await startNode(parseConfig(document, { source: join(dir, 'config.json'), env: {}, baseDir: dir }), { log: recordingLogger(lines), shutdownGraceMs: 100 });
  return { node, dir, lines, clientUrl: `ws://127.0.0.1:${node.ports.get('clients')}` };
}
