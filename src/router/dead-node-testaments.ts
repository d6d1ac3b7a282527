import type { Clock } from './dealer/dealer.js';
import type { Logger } from './log.js';
import type { Testament } from './meta/testaments.js';

/** The testaments of one session of a node that died. */
export interface OrphanedTestaments {
  realm: string;
  session: number;
  testaments: Testament[];
}

/** What the keeper needs from the router and the backplane. */
export interface TestamentOutlet {
  /** Publishes a session's testaments on this node, in order, as its own node would have. */
  publish(realm: string, testaments: readonly Testament[]): void;
  /** Tells every other node that this session's testaments are published, so that they drop their copies. */
  announcePublished(node: string, realm: string, session: number): void;
  /** A dead node's testaments given up unpublished (see DeadNodeTestaments). */
  dropped(node: string, sessions: number): void;
  /** Asks `witness` what it knows of the dead `node` (its DeadNodeTestaments.knowledgeOf); rejects when it cannot tell. */
  ask(witness: string, node: string): Promise<unknown>;
}

/**
 * What a node knows of another that a survivor found dead: `alive` (it has not noticed yet: it
 * will), `noticed` (it noticed the death recently: it published that node's testaments, or waits
 * for a witness before it, or had none), `unknown` (it never heard of that node, so it holds none
 * of its testaments: it started after that node died).
 */
export type DeadNodeKnowledge = 'alive' | 'noticed' | 'unknown';

/** How long copies are kept at least, whatever the lease: the longest a survivor waits for the publisher's word. */
const minimumKeepMs = 60_000;

/**
 * How long a survivor keeps a dead node's testaments, waiting to hear that they were published:
 * long past the time every other node takes to notice the death (the lease, at worst) and to
 * publish them.
 */
export function testamentKeepMs(leaseMs = 0): number {
  return Math.max(minimumKeepMs, 10 * leaseMs);
}

interface DeadNode {
  /** Sessions whose testaments no node has said it published yet, by realm and session. */
  sessions: Map<string, OrphanedTestaments>;
  /**
   * The other nodes this node knew when it noticed the death: each of them holds a copy too, so
   * the one of them (or this node) whose name sorts first publishes. A node that joins later
   * never knew the dead one and is not counted.
   */
  witnesses: Set<string>;
  /** The witness last asked what it knows of the dead node, so that each is asked once. */
  asked?: string;
  expiry: ReturnType<typeof setTimeout>;
}

/**
 * The testaments of the sessions of nodes that died, kept on every surviving node until one of
 * them has published them, so that they are published once and not lost when the node chosen
 * to publish them dies too. The chosen node is the witness whose name sorts first; it publishes
 * each session's testaments and then announces it, and the others drop their copy of that
 * session. When it dies first, the next witness in order is chosen, and so on while any is left.
 * Kept for at most `keepMs` (testamentKeepMs) per dead node: past it (the chosen node lived but
 * its word was lost) the copies are dropped, counted and logged.
 */
export class DeadNodeTestaments {
  private readonly dead = new Map<string, DeadNode>();
  /** When this node noticed each recent death (kept as long as copies are), for knowledgeOf. */
  private readonly noticed = new Map<string, number>();

  constructor(private readonly nodeId: string, private readonly outlet: TestamentOutlet, private readonly clock: Clock,
    private readonly log: Logger, private readonly keepMs: number) {}

  /**
   * Node `node` died with these sessions' testaments; `peers` are the other nodes alive in this
   * node's view now. Publishes whatever this node is now the first witness for: this node's
   * death's testaments, and those of earlier deaths whose chosen publisher was `node`.
   */
  nodeGone(node: string, sessions: readonly OrphanedTestaments[], peers: readonly string[]): void {
    this.remember(node);
    for (const kept of this.dead.values()) kept.witnesses.delete(node);
    const withTestaments = sessions.filter((session) => session.testaments.length > 0);
    if (withTestaments.length > 0) this.keep(node, withTestaments, peers);
    for (const [dead, kept] of [...this.dead]) this.decide(dead, kept);
  }

  /** What this node knows of `node`, found dead by the node asking (see DeadNodeKnowledge); `alive`: it is among this node's peers. */
  knowledgeOf(node: string, alive: boolean): DeadNodeKnowledge {
    if (alive) return 'alive';
    return this.dead.has(node) || this.noticed.has(node) ? 'noticed' : 'unknown';
  }

  /** A node said it published this session of `node`'s testaments: this node's copy goes. */
  published(node: string, realm: string, session: number): void {
    const kept = this.dead.get(node);
    if (kept?.sessions.delete(sessionKey(realm, session)) && kept.sessions.size === 0) this.forget(node);
  }

  /** How many dead nodes' testaments are kept now. */
  get deadNodeCount(): number {
    return this.dead.size;
  }

  close(): void {
    for (const node of [...this.dead.keys()]) this.forget(node);
  }

  private keep(node: string, sessions: readonly OrphanedTestaments[], peers: readonly string[]): void {
    // A node that died again (a worker restarted under its name): its earlier life's sessions stay, with the witnesses of now.
    const kept = this.dead.get(node);
    const entry: DeadNode = kept ?? {
      sessions: new Map(), witnesses: new Set(), expiry: this.clock.setTimeout(() => this.expire(node), this.keepMs),
    };
    entry.witnesses = new Set(peers.filter((peer) => peer !== node));
    for (const session of sessions) entry.sessions.set(sessionKey(session.realm, session.session), session);
    this.dead.set(node, entry);
  }

  /**
   * Publishes them if no witness sorts before this node; else asks the first witness whether it
   * knew the dead node: one that never heard of it (it started in the moment between the death
   * and this node noticing it) holds nothing to publish, and the next one in order is chosen.
   */
  private decide(node: string, kept: DeadNode): void {
    const first = [...kept.witnesses].sort()[0];
    if (first === undefined || this.nodeId < first) return this.publishAll(node, kept);
    if (kept.asked === first) return;
    kept.asked = first;
    this.outlet.ask(first, node).then((answer) => {
      if (answer !== 'unknown' || this.dead.get(node) !== kept || !kept.witnesses.delete(first)) return;
      this.log.info({ dead_node: node, witness: first }, 'the node chosen to publish a dead node\'s testaments never knew it: the next one in order is');
      this.decide(node, kept);
    }, () => undefined); // a witness that cannot answer: it died (nodeGone decides again) or is slow (the keep time bounds the wait)
  }

  private remember(node: string): void {
    const now = this.clock.now();
    for (const [dead, at] of this.noticed) if (now - at >= this.keepMs) this.noticed.delete(dead);
    this.noticed.set(node, now);
  }

  private publishAll(node: string, kept: DeadNode): void {
    this.forget(node);
    for (const { realm, session, testaments } of kept.sessions.values()) {
      this.outlet.publish(realm, testaments);
      // After the publications, on the same ordered link: a node that hears this has heard them.
      this.outlet.announcePublished(node, realm, session);
    }
  }

  private expire(node: string): void {
    const kept = this.dead.get(node);
    if (!kept) return;
    this.forget(node);
    this.outlet.dropped(node, kept.sessions.size);
    this.log.warn({ dead_node: node, sessions: kept.sessions.size, keptMs: this.keepMs, witnesses: [...kept.witnesses] },
      'testaments of a dead node dropped: the node chosen to publish them never said it did (its word may have been lost)');
  }

  private forget(node: string): void {
    const kept = this.dead.get(node);
    if (!kept) return;
    clearTimeout(kept.expiry);
    this.dead.delete(node);
  }
}

function sessionKey(realm: string, session: number): string {
  return `${realm}\u0000${session}`;
}
