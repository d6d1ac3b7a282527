import type { Call, Cancel, Dict, ErrorMessage, Result } from '../protocol/messages.js';
import type { MatchPolicy } from '../protocol/uri.js';
import type { CopiedEvent } from './broker/event-history.js';
import type { PublicationPosition } from './broker/publication-positions.js';
import type { Testament } from './meta/testaments.js';
import type { InvocationPolicy } from './options.js';
import type { SessionOrigin } from './session.js';

/**
 * What one router node tells the other nodes of its cluster, and hears from them. The router
 * hands each publication to the backplane once, after local delivery; the backplane hands it to
 * every other node that announced a matching subscription (routing by interest), and each of
 * those delivers it to its own subscribers through the broker's ordinary delivery step.
 *
 * Each node stays the authority for its own sessions: nothing here moves a session, a
 * subscription or a subscriber list; only interest summaries and publications cross.
 * Implementations: in-process (tests), IPC through a parent process (`--workers`).
 */
export interface Backplane {
  /** This node's name in the cluster (unique among the nodes alive at once). */
  readonly nodeId: string;
  /** The router's receiving end; called once, before any other method. */
  attach(sink: BackplaneSink): void;
  /** The node has (on = true) or no longer has (on = false) a subscription on (realm, uri, match). */
  announce(interest: Interest, on: boolean): void;
  /** A publication made on this node, already delivered locally; other nodes get it only if interested. */
  publish(publication: RemotePublication): void;

  // ---- RPC: a summary of each registration per node; the node that holds the callee runs the call ----

  /**
   * Claims the right for this node to hold a registration of (realm, uri, match) under `invoke`,
   * atomically across the cluster: a `single` one is refused if any node holds it, a shared one
   * if a node holds it under another policy. A successful claim is announced to the other nodes
   * (for routing calls) until it is released.
   */
  claimProcedure(procedure: Interest, invoke: InvocationPolicy): Promise<ClaimAnswer>;
  /**
   * This node no longer holds a registration of (realm, uri, match). Resolves once the authority
   * has taken the release (a claim any node sends after that succeeds), or could not be reached;
   * never rejects.
   */
  releaseProcedure(procedure: Interest): Promise<void>;
  /** The other nodes holding the registration a call to `procedure` matches best; empty if none. */
  calleeNodes(realm: string, procedure: string): readonly string[];
  /** The registration of the other nodes that a call to `procedure` matches best, if any. */
  bestProcedure(realm: string, procedure: string): Interest | undefined;
  /**
   * This node's callees of a shared registration it holds are now as `summary` says (where its
   * first/last callees stand, or how many roundrobin/random callees it has): told to the other
   * nodes, so that a call from any node follows the policy over the whole cluster's callees.
   */
  summarizeProcedure(procedure: Interest, summary: ProcedureSummary): void;
  /** The summaries the other nodes announced for a registration, if any did (`single` ones have none). */
  procedureSummaries(procedure: Interest): ProcedureSummaries | undefined;
  /** Call traffic for one node (a forwarded CALL, CANCEL, a caller gone, a reply). */
  sendCall(node: string, traffic: CallTraffic): void;
  // ---- presence: each node's client sessions, for the meta API ----

  /** A client session joined (on = true) or left this node; `details` as wamp.session.get shows it. */
  announceSession(realm: string, details: RemoteSessionDetails, on: boolean): void;
  /** The client sessions of the other nodes in `realm`. */
  remoteSessions(realm: string): RemoteSessionDetails[];
  /** Whether another node has announced a client session with this id in `realm` (a new session must not take it). */
  sessionIdTaken(realm: string, session: number): boolean;
  /**
   * The testaments of one of this node's client sessions are now `testaments` (empty: none): the
   * other nodes keep a copy with the session, so that they can publish them if this node dies.
   */
  shareTestaments(realm: string, session: number, testaments: readonly Testament[]): void;
  /**
   * This node published the testaments of `session` of `node`, which died: told to every other
   * node after the publications themselves, so that they drop their copies (DeadNodeTestaments).
   */
  testamentsPublished(node: string, realm: string, session: number): void;

  // ---- questions: the meta API's view of the whole cluster ----

  /**
   * Asks the named nodes (every other node when `nodes` is undefined) and resolves once each has
   * answered, left, or let `questionTimeoutMs` pass; `missing` names the nodes that did not answer.
   */
  askAll<Q extends ClusterQuestion>(question: Q, nodes?: readonly string[]): Promise<Asked<AnswerTo<Q>>>;

  // ---- the layers above (Pusher presence): entries each node shares, and notes between nodes ----

  /**
   * Sets (value defined) or withdraws (undefined) this node's entry `key` of `space`; the other
   * nodes' listeners of `space` see it until it is withdrawn or this node is gone.
   */
  share(space: string, key: string, value: unknown): void;
  /** A note of `space` to the named nodes, or to every other node: heard by their listener of `space`, if any. */
  note(space: string, body: unknown, to?: readonly string[]): void;
  /** Hears the other nodes' entries of `space` (those known already at once) and its notes; one listener per space. */
  listen(space: string, listener: SpaceListener): void;
  unlisten(space: string): void;
  /**
   * Takes a seat for `member` in `group` (a Pusher presence channel), unless the group already has
   * `limit` members: decided by the cluster's one authority (Redis), so that two nodes admitting
   * at once cannot both take the last seat. A member seated through several nodes counts once.
   * Resolves whether it has a seat; true without an authority (one process: the caller's own
   * count decides), or while the authority is away (the node serves on its own).
   */
  seat(group: string, member: string, limit: number): Promise<boolean>;
  /** This node no longer holds `member` in `group`: the seat is free once no node holds it. */
  unseat(group: string, member: string): void;
  // ---- questions to one node (a long-poll request relayed to the node holding its transport) ----

  /** Asks `node`'s handler on `channel`; rejects with an AskError after `timeoutMs`, when the node is gone, or when its handler fails. */
  ask(node: string, channel: string, body: unknown, timeoutMs: number): Promise<unknown>;
  /** Answers what other nodes ask on `channel`; returns the way to stop. */
  serve(channel: string, handler: (body: unknown, from: string) => Promise<unknown>): () => void;

  /** The other nodes this one has heard from and not seen leave. */
  peers(): string[];
  /** Why this node cannot reach the others now (it serves its own clients only), or undefined. */
  readonly degraded: string | undefined;
  /** Leaves the cluster: the other nodes forget this node's interests. */
  close(): Promise<void>;
}

export interface BackplaneSink {
  /** A publication from another node, for this node's subscribers. */
  deliver(publication: RemotePublication): void;
  /** Call traffic from another node. */
  callTraffic(from: string, traffic: CallTraffic): void;
  /** A node left or died: calls it was part of must end; its client sessions (with their testaments) are gone. */
  nodeGone(node: string, sessions: readonly RemoteSession[]): void;
  /**
   * Messages between this node and `node` may have been dropped (one of their links to the others
   * was away; both live on): the calls in flight between them must end, or they would wait forever.
   */
  linkLost?(node: string): void;
  /** These sessions of a live node left while the way to it was lost: gone, with no testament of theirs to publish. */
  sessionsLeft?(node: string, sessions: readonly RemoteSession[]): void;
  /** Node `from` published the testaments of `session` of the dead node `node` (see Backplane.testamentsPublished). */
  testamentsPublished?(from: string, node: string, realm: string, session: number): void;
  /** This node has heard another node's whole state (it joined, or this node did); again each time it hears it again. */
  nodeJoined?(node: string): void;
  /** Another node's question (see Backplane.askAll); the answer goes back to it. A sink without it answers that it cannot. */
  answer?(from: string, question: ClusterQuestion): Promise<unknown>;
}

/** A session as wamp.session.get shows it, with the node it is on. */
export interface RemoteSessionDetails extends Dict {
  session: number;
  authid: string;
  authrole: string;
  node: string;
}

/** What a layer above hears of its space from the other nodes. */
export interface SpaceListener {
  /** Node `node` set (value defined) or withdrew (undefined) its entry `key`; a node gone withdraws each of its entries, the last shared first. */
  entry(node: string, key: string, value: unknown): void;
  note(from: string, body: unknown): void;
  /** Node `node` left or died; told before its entries are withdrawn. */
  gone?(node: string): void;
}

/** One entry a node shares; `value` is never undefined (withdrawing removes the entry). */
export interface SharedEntry {
  space: string;
  key: string;
  value: unknown;
}

export interface RemoteSession {
  realm: string;
  details: RemoteSessionDetails;
  /** What its node would publish when it leaves, in order (see Backplane.shareTestaments). */
  testaments?: Testament[];
}

/** Which sessions a cluster-wide kill closes on each node: never the caller. `all` closes them quietly (kill_all). */
export type KillTarget = { session: number } | { authid: string } | { authrole: string } | { all: true };

/** Narrows an inventory question to the items that match (all items when empty). */
export interface InventoryFilter {
  id?: number;
  /** Items this session subscribed to or registered. */
  session?: number;
  /** The item of exactly this (uri, match). */
  lookup?: { uri: string; match: MatchPolicy };
  /** The items a publication or call to this URI matches. */
  matching?: string;
}

/** A subscription or registration of one node as the meta API shows it, with its node's subscribers or callees. */
export interface InventoryItem {
  id: number;
  uri: string;
  match: MatchPolicy;
  created: string;
  /** A registration's invocation policy. */
  invoke?: InvocationPolicy;
  /** Subscribers or callees on the answering node (client sessions only). */
  members: number[];
}

/** A retained event as it crosses to a node that starts later (see Broker.retainedSnapshot). */
export interface RemoteRetained {
  topic: string;
  publication: number;
  /** When it was published (see RetainedStamp): its logical time and its node's wall clock. */
  logicalTime?: number;
  publishedAt?: number;
  details: Dict;
  /** The PUBLISH options, for its receiver lists. */
  options: Dict;
  /** The publisher, when it excluded itself. */
  excludedSession?: number;
  args?: unknown[];
  kwargs?: Dict;
  payload?: Uint8Array;
}

/** The event history of one history-kept subscription as it crosses to a node that starts later (see Broker.historySnapshot). */
export interface RemoteHistory {
  uri: string;
  match: MatchPolicy;
  events: CopiedEvent[];
}

/** What one node asks the others: for its meta API, and (`retained`, `history`) for what a node that starts later lacks. */
export type ClusterQuestion =
  | { k: 'kill'; realm: string; target: KillTarget; caller: number; reason: string; message?: string }
  | { k: 'subscriptions'; realm: string; filter: InventoryFilter }
  | { k: 'registrations'; realm: string; filter: InventoryFilter }
  | { k: 'retained'; realm: string }
  | { k: 'history'; realm: string };

/** The questions a realm's meta API answers (the router answers `retained` and `history` itself). */
export type MetaQuestion = Exclude<ClusterQuestion, { k: 'retained' } | { k: 'history' }>;

/** The answer each kind of question gets: the IDs of the sessions closed, the node's retained events or history, or its matching items. */
export type AnswerTo<Q extends ClusterQuestion> =
  Q extends { k: 'kill' } ? number[] : Q extends { k: 'retained' } ? RemoteRetained[] : Q extends { k: 'history' } ? RemoteHistory[] : InventoryItem[];

export interface Asked<T> {
  answers: { node: string; answer: T }[];
  /** Nodes asked that neither answered nor left in time. */
  missing: string[];
}

/**
 * `ticket`: the claim's place in the order of every claim the authority decided (larger is
 * later), the registration time that `first` and `last` compare across nodes. Absent when the
 * authority could not be reached (the node serves on its own meanwhile). `unanswered`: the
 * authority is connected but did not answer in time, so whether it took the claim is unknown;
 * nothing is registered, the link gives the claim back once the authority answers again, and
 * the text says why, for the client.
 */
export type ClaimAnswer = { ok: true; ticket?: number } | { ok: false; heldAs: InvocationPolicy } | { ok: false; unanswered: string };

/**
 * Where a node's callees of a `first` or `last` registration stand in the cluster's registration
 * order: the tickets of its first and its last callee (see ClaimAnswer).
 */
export interface ProcedureRank {
  invoke: 'first' | 'last';
  first: number;
  last: number;
}

/** How many callees a node has for a `roundrobin` or `random` registration: its share of the cluster's calls. */
export interface CalleeCount {
  invoke: 'roundrobin' | 'random';
  callees: number;
}

/** What a node tells the others of its callees of a shared registration (never the callees themselves). */
export type ProcedureSummary = ProcedureRank | CalleeCount;

/** The other nodes' summaries of one registration, and this node's turn over the cluster's callees of it. */
export interface ProcedureSummaries {
  /** By node, in the order of the nodes' names: the order in which `roundrobin` walks the cluster's callees. */
  readonly byNode: ReadonlyMap<string, ProcedureSummary>;
  /**
   * The `roundrobin` cursor of this node's callers over the cluster's callees (this node's among
   * them, in its name's place); moved by the router. It lasts while another node holds the registration.
   */
  turn: number;
}

/**
 * A callee whose registration has no ticket (registered while the claim authority was out of
 * reach, or by a bridge session that is not claimed) counts as registered after every other.
 */
export const unknownTicket = Number.MAX_SAFE_INTEGER;

/** Who makes a call, as the callee's node needs to know (disclosure, a stand-in caller session). */
export interface CallerFacts {
  session: number;
  authid: string;
  authrole: string;
}

/**
 * RPC between two nodes. The caller's node sends `call` (each chunk of a progressive call too),
 * `cancel` and `callerGone`; the callee's node answers with `reply` (RESULT, progressive or final,
 * or ERROR) carrying the caller's own request id, or `ended` for a call canceled in mode `skip`
 * (it ends with nothing for the caller, as on Crossbar). A call's first `call` names the registration
 * the caller's node chose for it (the best match in the cluster), which the callee's node runs
 * even if it holds a better match by then; a further chunk of a progressive call has none.
 */
export type CallTraffic =
  | { k: 'call'; realm: string; caller: CallerFacts; message: Call; disclose: boolean; registration?: Interest }
  | { k: 'cancel'; realm: string; caller: number; message: Cancel }
  | { k: 'callerGone'; realm: string; caller: number }
  | { k: 'reply'; realm: string; caller: number; message: Result | ErrorMessage }
  | { k: 'ended'; realm: string; caller: number; request: number };

export interface Interest {
  realm: string;
  uri: string;
  match: MatchPolicy;
}

/**
 * A publication as it crosses between nodes: the PUBLISH as its node accepted it (authorized,
 * URI checked) plus what that node decided (publication id, EVENT details with disclosure and
 * passthru). `options` is the PUBLISH.Options dict, read again by the receiving broker for
 * exclude/eligible; `publisher` is the publishing session's id, for exclude_me.
 */
export interface RemotePublication {
  realm: string;
  topic: string;
  publication: number;
  publisher: number;
  /** The publisher's kind, for the receiving node's metrics (a client's publication or the router's own). */
  origin: SessionOrigin;
  options: Dict;
  details: Dict;
  args?: unknown[];
  kwargs?: Dict;
  payload?: Uint8Array;
  /**
   * A retained publication's logical time and its node's wall clock (ms), the order every node
   * keeps retained events in (see RetainedStamp); absent on other publications.
   */
  logicalTime?: number;
  publishedAt?: number;
  /** Its place in its node's sequence (absent from a node of an older version). */
  position?: PublicationPosition;
}

/** The key an interest is known by in tables and on the wire. */
export function interestKey(interest: Interest): string {
  return `${interest.match}\u0000${interest.realm}\u0000${interest.uri}`;
}
