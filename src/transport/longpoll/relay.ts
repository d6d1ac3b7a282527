/**
 * Long-poll without sticky sessions: a transport's id names the router node that holds it, and a
 * request for it that lands on another node (a round-robin balancer, another worker of
 * --workers) is relayed there over the cluster's backplane and answered from there.
 */

/** What a node relays to the transport's node; `body` only for a send. */
export interface RelayedRequest {
  /** The path of the long-poll service (the same on every node: they run one configuration). */
  path: string;
  transport: string;
  operation: 'send' | 'receive' | 'close';
  body?: Uint8Array;
  /** For a receive: names it, so that the relaying node can say its client gave up. */
  poll?: number;
}

/** The transport node's answer, written by the relaying node as it is. */
export interface RelayedAnswer {
  status: number;
  contentType?: string;
  body?: Uint8Array;
}

/** A long-poll server's way to the other nodes of its cluster. */
export interface LongPollCluster {
  readonly nodeId: string;
  /** Runs a request on the node holding the transport; rejects when that node is gone or silent past `timeoutMs`. */
  relay(node: string, request: RelayedRequest, timeoutMs: number): Promise<RelayedAnswer>;
  /** The client of a relayed receive gave up: what the node holds for it stays for the next receive. */
  abandon(node: string, poll: number): void;
}

/** Separates the node's tag from the random part of a transport id (not a base64url character). */
const SEPARATOR = '.';

export function clusterTransportId(nodeId: string, random: string): string {
  return `${Buffer.from(nodeId).toString('base64url')}${SEPARATOR}${random}`;
}

/** The node a transport id names, or undefined for an id without one (a node alone, or not ours at all). */
export function transportNode(id: string): string | undefined {
  const at = id.indexOf(SEPARATOR);
  if (at <= 0) return undefined;
  return Buffer.from(id.slice(0, at), 'base64url').toString();
}
