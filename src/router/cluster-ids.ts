import { randomId } from '../protocol/ids.js';
import type { MatchPolicy } from '../protocol/uri.js';

const fnvOffset = 0xcbf29ce484222325n;
const fnvPrime = 0x100000001b3n;
const mask64 = (1n << 64n) - 1n;
const mask53 = (1n << 53n) - 1n;

/**
 * The ID of the subscription or registration of (realm, uri, match) on every node of a cluster:
 * WAMP gives one ID per topic (or procedure) and match policy per router, and a cluster is one
 * router, so every node derives the same ID from the same three facts (a 64-bit FNV-1a hash cut
 * to 53 bits) and an ID learnt on one node names the same thing on all of them. Without a
 * cluster IDs stay random.
 */
export function clusterId(realm: string, uri: string, match: MatchPolicy): number {
  let hash = fnvOffset;
  for (const byte of new TextEncoder().encode(`${match}\u0000${realm}\u0000${uri}`)) {
    hash = ((hash ^ BigInt(byte)) * fnvPrime) & mask64;
  }
  return Number(hash & mask53) || 1;
}

/**
 * How a broker or dealer numbers what it creates: the cluster's shared ID, unless it is already
 * taken here by something else (a hash collision, about one in 10^8 at 10^4 topics: then a
 * random ID, valid on this node only, is better than a wrong one).
 */
export type IdMaker = (uri: string, match: MatchPolicy, taken: (id: number) => boolean) => number;

export const randomIds: IdMaker = () => randomId();

export function clusterIds(realm: string): IdMaker {
  return (uri, match, taken) => {
    const id = clusterId(realm, uri, match);
    return taken(id) ? randomId() : id;
  };
}
