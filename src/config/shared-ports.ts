/**
 * Crossbar's `"shared": true` ports: several worker processes listen on one port and the kernel
 * hands each connection to one of them. Junction opens each port once, so transports of several
 * workers on one port are one listener only when nothing about them differs; proxy workers
 * (semantics-proxy.ts) and router workers (semantics.ts) follow this one rule.
 */

import { posix } from 'node:path';
import type { ConfigPath } from './config-path.js';
import { entries, isRecord, type Entry } from './semantics-realms.js';

/** A transport with the worker it belongs to. */
export interface WorkerTransport {
  transport: Entry;
  worker: Entry;
}

/**
 * The workers' transports, one per port: a later one on a port (`keyOf`) already opened is
 * dropped when `difference` finds nothing, else handed to `refuse` with where it differs.
 */
export function onePerPort(
  workers: readonly Entry[],
  keyOf: (endpoint: unknown) => string | undefined,
  difference: (first: WorkerTransport, later: WorkerTransport) => ConfigPath | undefined,
  refuse: (later: WorkerTransport, first: WorkerTransport, differsAt: ConfigPath) => void,
): Entry[] {
  const byPort = new Map<string, WorkerTransport>();
  const unique: Entry[] = [];
  for (const worker of workers) {
    for (const transport of entries(worker.value.transports, [...worker.path, 'transports'])) {
      const key = keyOf(transport.value.endpoint);
      const first = key === undefined ? undefined : byPort.get(key);
      if (first === undefined) {
        if (key !== undefined) byPort.set(key, { transport, worker });
        unique.push(transport);
        continue;
      }
      const differsAt = difference(first, { transport, worker });
      if (differsAt !== undefined) refuse({ transport, worker }, first, differsAt);
    }
  }
  return unique;
}

/**
 * Where the later of two transports on one port differs from the first (its path in the file),
 * or undefined when they are one listener. The `id` names a transport within its worker only (as
 * in Crossbar), so it may differ; key order does not matter.
 */
export function transportDifference(first: Entry, later: Entry): ConfigPath | undefined {
  const { id: _firstId, ...a } = first.value;
  const { id: _laterId, ...b } = later.value;
  return firstDifference(a, b, later.path);
}

/** The first path (keys sorted) at which two JSON values differ. */
export function firstDifference(a: unknown, b: unknown, at: ConfigPath): ConfigPath | undefined {
  if (isRecord(a) && isRecord(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const found = firstDifference(a[key], b[key], [...at, key]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (const [index, item] of a.entries()) {
      const found = firstDifference(item, b[index], [...at, index]);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : at;
}

/**
 * What a listening endpoint binds, as a key: a Unix socket file, or a TCP port and address
 * (none for port 0, a fresh port each time). The same rule decides in normalize which transports are one listener.
 */
export function endpointKey(endpoint: unknown): string | undefined {
  if (!isRecord(endpoint)) return undefined;
  if (endpoint.type === 'unix') return typeof endpoint.path === 'string' ? `unix:${posix.normalize(endpoint.path)}` : undefined;
  const port = Number(endpoint.port);
  if (!Number.isInteger(port) || port === 0) return undefined;
  // As written: two transports that spell one address differently are two listeners, and the address check refuses them.
  return `tcp:${port}:${typeof endpoint.interface === 'string' ? endpoint.interface : `version ${String(endpoint.version ?? 4)}`}`;
}

/**
 * For normalize, after the cross-checks: the transport that already opened this endpoint (so this
 * one, the same, is opened once), or undefined after recording `where` as its opener.
 */
export function openedBefore(opened: Map<string, ConfigPath>, endpoint: unknown, where: ConfigPath): ConfigPath | undefined {
  const key = endpointKey(endpoint);
  if (key === undefined) return undefined;
  const first = opened.get(key);
  if (first === undefined) opened.set(key, where);
  return first;
}

/** The key of an endpoint marked `"shared": true`, the only kind several router workers may open. */
export function sharedEndpointKey(endpoint: unknown): string | undefined {
  return isRecord(endpoint) && endpoint.shared === true ? endpointKey(endpoint) : undefined;
}

/** Interface values that listen on every address of the machine (Crossbar leaves `interface` out for these). */
export const anyAddress: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);
