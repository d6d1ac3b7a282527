/**
 * Whether a connecting endpoint of the file (a proxy worker's connection, a realm's router link)
 * leads to a listening endpoint of this node: the same Unix socket file, or the same port on an
 * address that reaches it. Both are read as written in the file (relative socket paths from the
 * same folder).
 */

import { posix } from 'node:path';
import { isRecord } from './semantics-realms.js';
import { anyAddress } from './shared-ports.js';

export type Target = { kind: 'unix'; path: string; text: string } | { kind: 'tcp'; host: string; port: number; text: string };

/** A connecting endpoint (`{type: "unix", path}` or `{type: "tcp", host, port}`), or undefined when it is neither. */
export function targetOf(endpoint: unknown): Target | undefined {
  if (!isRecord(endpoint)) return undefined;
  if (endpoint.type === 'unix' && typeof endpoint.path === 'string') {
    return { kind: 'unix', path: posix.normalize(endpoint.path), text: `the Unix socket ${endpoint.path}` };
  }
  const port = Number(endpoint.port);
  if (endpoint.type !== 'tcp' || typeof endpoint.host !== 'string' || !Number.isInteger(port)) return undefined;
  return { kind: 'tcp', host: endpoint.host, port, text: `${endpoint.host} port ${port}` };
}

/** Whether the target is this listening endpoint of a transport of this node. */
export function reaches(target: Target, listening: unknown): boolean {
  if (!isRecord(listening)) return false;
  if (target.kind === 'unix') return listening.type === 'unix' && typeof listening.path === 'string' && posix.normalize(listening.path) === target.path;
  if (listening.type !== 'tcp' || Number(listening.port) !== target.port) return false;
  const bound = typeof listening.interface === 'string' ? listening.interface : undefined;
  if (bound === target.host) return true;
  return isLoopback(target.host) && (bound === undefined || anyAddress.has(bound) || isLoopback(bound));
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
