import type { Redis } from 'ioredis';
import type { RedisConnectionRole } from './redis-timeouts.js';

/**
 * Closes, on Redis, a connection this node replaced, before anything is sent on the new one: what
 * the old one sent has then either run or never will (Redis drops a killed client's unread
 * commands, and what was still on its way finds the socket closed), so the order of what the node
 * sends holds across the two connections. `oldId` is the old connection's CLIENT ID; it is killed
 * only if that id still names a connection called `name` (after a Sentinel failover or a restart
 * the same id may be another client's: then the old connection is not on this server, and what it
 * sent cannot run here).
 */
export async function fenceOff(redis: Redis, oldId: number, name: string): Promise<void> {
  const listed = String(await redis.client('LIST', 'ID', String(oldId)));
  if (connectionName(listed) !== name) return;
  await redis.client('KILL', 'ID', String(oldId));
}

/** The `name=` field of one CLIENT LIST line, or undefined for none (no such client). */
export function connectionName(clientListLine: string): string | undefined {
  return /(?:^| )name=(\S*)/.exec(clientListLine)?.[1];
}

/**
 * The name a node gives one of its commands connections (the backplane's, the feeds'): tells it
 * apart on Redis (CLIENT LIST) for fenceOff, `processToken` from another process of the same name.
 */
export function namedConnection(role: RedisConnectionRole, nodeId: string, processToken: string): string {
  return `junction-${role}:${nodeId}:${processToken}`;
}
