import { ClaimTable } from './backplane-claims.js';
import { SeatTable } from './backplane-seats.js';
import { MeshBackplane, type MeshLink, type MeshMessage } from './backplane-mesh.js';

type Receiver = (message: MeshMessage, from: string) => void;

/**
 * Nodes of one process joined as a cluster: for tests of the router across nodes without
 * processes. Messages are delivered asynchronously (as over a real link), in order.
 */
export class MemoryHub {
  private readonly receivers = new Map<string, Receiver | undefined>();
  private readonly claims = new ClaimTable();
  private readonly seats = new SeatTable();

  /** With `latencyMs`, each message takes that long to arrive (a slow link: many in flight at once); else the next microtask. */
  constructor(private readonly latencyMs = 0) {}

  /** A new node on this hub. */
  node(nodeId: string): MeshBackplane {
    return new MeshBackplane(nodeId, this.link(nodeId));
  }

  /**
   * A node dies without a word: the others hear `gone` on its behalf, as a parent process would
   * say it; those in `unnoticedBy` only when told (noticeDeath), as nodes notice a death at
   * different moments through Redis.
   */
  kill(nodeId: string, unnoticedBy: readonly string[] = []): void {
    if (!this.receivers.delete(nodeId)) return;
    this.dropHeld(nodeId);
    this.route({ k: 'gone' }, nodeId, [...this.receivers.keys()].filter((node) => !unnoticedBy.includes(node)));
  }

  /** Node `by` notices now that `dead` died (see kill). */
  noticeDeath(dead: string, by: string): void {
    this.route({ k: 'gone' }, dead, [by]);
  }

  /** What the hub decided for a node that is gone: its claims and seats are free. */
  private dropHeld(nodeId: string): void {
    this.claims.dropNode(nodeId);
    this.seats.dropNode(nodeId);
  }

  private link(nodeId: string): MeshLink {
    if (this.receivers.has(nodeId)) throw new Error(`node "${nodeId}" is already on this hub`);
    this.receivers.set(nodeId, undefined);
    return {
      send: (message, to) => {
        if (this.receivers.has(nodeId)) this.route(message, nodeId, to);
      },
      onMessage: (receive) => void this.receivers.set(nodeId, receive),
      claim: async (key, invoke) => this.claims.claim(nodeId, key, invoke),
      release: async (key) => this.claims.release(nodeId, key),
      seat: async (group, member, limit) => this.seats.seat(nodeId, group, member, limit),
      unseat: (group, member) => this.seats.unseat(nodeId, group, member),
      close: async () => {
        this.receivers.delete(nodeId);
        this.dropHeld(nodeId);
      },
    };
  }

  private route(message: MeshMessage, from: string, to: readonly string[] | undefined): void {
    const targets = to ?? [...this.receivers.keys()].filter((node) => node !== from);
    for (const target of targets) {
      // A copy, as a real link would deliver: nothing shared by reference between nodes.
      const copy = structuredClone(message);
      const deliver = (): void => this.receivers.get(target)?.(copy, from);
      // Timers of one duration fire in the order set: the link keeps its order.
      if (this.latencyMs > 0) setTimeout(deliver, this.latencyMs);
      else queueMicrotask(deliver);
    }
  }
}
