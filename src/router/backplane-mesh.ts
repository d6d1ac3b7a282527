import type { MetricsRegistry } from '../metrics/registry.js';
import { NodeAsks, type AskHandler, type AskMessage } from './backplane-asks.js';
import { RemoteInterests } from './backplane-interest.js';
import { RemoteSummaries } from './backplane-summaries.js';
import { BackplaneMetrics } from './backplane-metrics.js';
import { PendingQuestions } from './backplane-questions.js';
import { entryKey, SharedEntries } from './backplane-shared.js';
import {
  interestKey, type AnswerTo, type Asked, type Backplane, type BackplaneSink, type CallTraffic, type ClaimAnswer, type ClusterQuestion,
  type Interest, type ProcedureSummaries, type ProcedureSummary, type RemotePublication, type RemoteSession, type RemoteSessionDetails, type SharedEntry,
  type SpaceListener, unknownTicket,
} from './backplane.js';
import type { Testament } from './meta/testaments.js';
import type { InvocationPolicy } from './options.js';

/** What nodes of a mesh say to each other. */
export type MeshMessage =
  /** A node (re)joined and starts clean: forget what it said before, and tell it your interests. */
  | { k: 'hello' }
  /**
   * The sender's link was away and is back (a Redis outage or failover), the same life of it: keep
   * its sessions, take its state (which follows) in place of what it said before, end the calls in
   * flight with it, and tell it your state.
   */
  | { k: 'back' }
  /** Every interest and registration of the sender (with the summaries of its shared ones), in answer to its peer's hello. */
  | {
    k: 'state'; interests: Interest[]; procedures: Interest[]; sessions: RemoteSession[]; shared?: SharedEntry[];
    summaries?: { procedure: Interest; summary: ProcedureSummary }[];
  }
  | { k: 'interest'; interest: Interest; on: boolean }
  | { k: 'pub'; publication: RemotePublication }
  /** The sender holds (or no longer holds) a registration of this procedure; `summary` for a shared one. */
  | { k: 'procedure'; procedure: Interest; on: boolean; summary?: ProcedureSummary }
  | { k: 'rpc'; traffic: CallTraffic }
  | { k: 'session'; session: RemoteSession; on: boolean }
  /** The testaments of one of the sender's sessions are now these. */
  | { k: 'testaments'; realm: string; session: number; testaments: Testament[] }
  /** The sender published the testaments of this session of `node`, which died. */
  | { k: 'testamentsPublished'; node: string; realm: string; session: number }
  /** A question to several nodes at once, for the meta API (see Backplane.askAll), and each node's answer. */
  | { k: 'question'; id: number; question: ClusterQuestion }
  /** `failed`: the node could not answer (the reason is in its log). */
  | { k: 'questionAnswer'; id: number; answer: unknown; failed?: boolean }
  /** The sender set (on) or withdrew an entry it shares with the layers above; see Backplane.share. */
  | { k: 'shared'; entry: SharedEntry; on: boolean }
  | { k: 'note'; space: string; body: unknown }
  /** Asks the receiver for its state (a link heard from a node it had lost track of). */
  | { k: 'sync' }
  /** The sender left, or (said by the link on its behalf) died. */
  | { k: 'gone' }
  /** A question to one node and its answer (backplane-asks.ts). */
  | AskMessage;

/**
 * How the nodes of a mesh reach each other. A link delivers messages between any two nodes in
 * the order they were sent, names the sender of each, and says `gone` for a node that left or died.
 */
export interface MeshLink {
  /** To the named nodes, or to every other node when `to` is undefined. */
  send(message: MeshMessage, to?: readonly string[]): void;
  onMessage(receive: (message: MeshMessage, from: string) => void): void;
  /**
   * Asks the link's one authority (the IPC parent, the hub, Redis) for a procedure key; see
   * ClaimTable. `ticket`: the largest this node already holds for the key, when it claims again
   * after a reconnect (see onReconnect): an authority that may have lost its data (Redis) keeps
   * its counter at least there, so callees registered later still order after this node's.
   */
  claim(key: string, invoke: InvocationPolicy, ticket?: number): Promise<ClaimAnswer>;
  /** Resolves once the authority has taken the release, or cannot be reached; never rejects. */
  release(key: string): Promise<void>;
  /**
   * Asks the authority for a seat (see Backplane.seat); `limit` undefined: taken whatever the
   * count (a seat this node held already, claimed again after a reconnect). Links without one
   * (IPC, in-memory) leave the count to each node.
   */
  seat?(group: string, member: string, limit: number | undefined): Promise<boolean>;
  unseat?(group: string, member: string): void;
  /**
   * For links that can lose their way to the others for a while (Redis): called each time the
   * link is back, after the others may have forgotten this node.
   */
  onReconnect?(rejoin: () => void): void;
  /** Why the link cannot reach the other nodes now, or undefined. */
  readonly degraded?: string;
  /** Hands the link the node's backplane metrics, for what only the link sees (wire bytes, drops, buffers). */
  instrument?(metrics: BackplaneMetrics): void;
  close(): Promise<void>;
}

/**
 * A backplane over any MeshLink: every node keeps a table of the others' interests, so a
 * publication is sent once to each interested node and to no other. The IPC and in-memory
 * backplanes are this with different links.
 */
export class MeshBackplane implements Backplane {
  private sink: BackplaneSink | undefined;
  private readonly local = new Map<string, Interest>();
  private readonly remote = new RemoteInterests();
  private readonly localProcedures = new Map<string, { procedure: Interest; invoke: InvocationPolicy; summary?: ProcedureSummary }>();
  private readonly remoteProcedures = new RemoteInterests();
  /** What the other nodes tell of their callees of each shared registration. */
  private readonly remoteSummaries = new RemoteSummaries();
  private readonly known = new Set<string>();
  /** This node's client sessions by realm and id, and the other nodes' by node. */
  private readonly localSessions = new Map<string, RemoteSession>();
  private readonly remoteSessionsByNode = new Map<string, Map<string, RemoteSession>>();
  private readonly questions = new PendingQuestions();
  /** Entries this node shares, and those the others share with it. */
  private readonly localShared = new Map<string, SharedEntry>();
  /** Seats this node holds (Backplane.seat), by group and member, to take again after a reconnect. */
  private readonly localSeats = new Map<string, { group: string; member: string }>();
  private readonly remoteShared = new SharedEntries();
  private readonly asks: NodeAsks;
  private closed = false;
  private readonly metrics: BackplaneMetrics | undefined;
  private readonly unwatch: (() => void) | undefined;

  /** With `registry`, the backplane's metrics (docs/metrics.md) are kept on it. */
  constructor(readonly nodeId: string, private readonly link: MeshLink, registry?: MetricsRegistry) {
    if (registry) {
      this.metrics = new BackplaneMetrics(registry);
      this.unwatch = this.metrics.watch({
        peers: () => this.known.size, claims: () => this.localProcedures.size, degraded: () => this.degraded !== undefined,
      });
      link.instrument?.(this.metrics);
    }
    this.asks = new NodeAsks((node, message) => {
      if (!this.closed) this.send(message, [node]);
    });
    link.onMessage((message, from) => {
      this.metrics?.message('received', message.k);
      this.receive(message, from);
    });
    link.onReconnect?.(() => this.rejoin());
    this.send({ k: 'hello' });
  }

  /** Every message leaves through here: counted once per node it is addressed to (once when to all). */
  private send(message: MeshMessage, to?: readonly string[]): void {
    if (this.metrics) for (let i = to?.length ?? 1; i > 0; i--) this.metrics.message('sent', message.k);
    this.link.send(message, to);
  }

  /**
   * Back after the link was lost: announce everything again and hold the same claims (the
   * authority may have lost them). Not a hello: this node did not die, so its sessions live on
   * and their testaments must not fire. What crossed meanwhile was dropped, so the calls in
   * flight with the other nodes end here, as they do there when they hear `back`.
   */
  private rejoin(): void {
    if (this.closed) return;
    for (const node of this.known) this.sink?.linkLost?.(node);
    this.send({ k: 'back' });
    this.send(this.state());
    for (const [key, { invoke, summary }] of this.localProcedures) void this.link.claim(key, invoke, summary && highestTicket(summary));
    for (const { group, member } of this.localSeats.values()) void this.link.seat?.(group, member, undefined);
  }

  /** Everything this node announced, for a node that (re)joined. */
  private state(): MeshMessage {
    const procedures = [...this.localProcedures.values()];
    return {
      k: 'state', interests: [...this.local.values()], procedures: procedures.map(({ procedure }) => procedure),
      sessions: [...this.localSessions.values()], shared: [...this.localShared.values()],
      summaries: procedures.flatMap(({ procedure, summary }) => (summary ? [{ procedure, summary }] : [])),
    };
  }

  attach(sink: BackplaneSink): void {
    this.sink = sink;
    // Nodes that answered this node's hello before the router was ready: it hears of them now.
    for (const node of this.known) sink.nodeJoined?.(node);
  }

  announce(interest: Interest, on: boolean): void {
    const key = interestKey(interest);
    if (on) this.local.set(key, interest);
    else this.local.delete(key);
    if (!this.closed) this.send({ k: 'interest', interest, on });
  }

  publish(publication: RemotePublication): void {
    if (this.closed) return;
    // A retained event goes to every node, interested or not: each keeps it for a later get_retained.
    if (publication.options.retain === true) return this.send({ k: 'pub', publication });
    const nodes = this.remote.nodesFor(publication.realm, publication.topic);
    if (nodes.size > 0) this.send({ k: 'pub', publication }, [...nodes]);
  }

  async claimProcedure(procedure: Interest, invoke: InvocationPolicy): Promise<ClaimAnswer> {
    if (this.closed) return { ok: true }; // shutting down: this node is on its own
    const key = interestKey(procedure);
    const answer = await this.link.claim(key, invoke);
    if (answer.ok && !this.localProcedures.has(key)) {
      this.localProcedures.set(key, { procedure, invoke });
      this.send({ k: 'procedure', procedure, on: true });
    }
    return answer;
  }

  async releaseProcedure(procedure: Interest): Promise<void> {
    const key = interestKey(procedure);
    if (!this.localProcedures.delete(key) || this.closed) return;
    const released = this.link.release(key);
    this.send({ k: 'procedure', procedure, on: false });
    await released;
  }

  async seat(group: string, member: string, limit: number): Promise<boolean> {
    if (this.closed || !this.link.seat) return true;
    const seated = await this.link.seat(group, member, limit);
    if (seated) this.localSeats.set(seatKey(group, member), { group, member });
    return seated;
  }

  unseat(group: string, member: string): void {
    if (!this.localSeats.delete(seatKey(group, member)) || this.closed) return;
    this.link.unseat?.(group, member);
  }

  calleeNodes(realm: string, procedure: string): readonly string[] {
    const nodes = this.remoteProcedures.bestNodes(realm, procedure);
    return nodes ? [...nodes] : [];
  }

  bestProcedure(realm: string, procedure: string): Interest | undefined {
    return this.remoteProcedures.best(realm, procedure);
  }

  summarizeProcedure(procedure: Interest, summary: ProcedureSummary): void {
    const mine = this.localProcedures.get(interestKey(procedure));
    if (!mine) return;
    mine.summary = summary;
    if (!this.closed) this.send({ k: 'procedure', procedure, on: true, summary });
  }

  procedureSummaries(procedure: Interest): ProcedureSummaries | undefined {
    return this.remoteSummaries.of(procedure);
  }

  sendCall(node: string, traffic: CallTraffic): void {
    if (!this.closed) this.send({ k: 'rpc', traffic }, [node]);
  }

  announceSession(realm: string, details: RemoteSessionDetails, on: boolean): void {
    const session: RemoteSession = { realm, details };
    const key = sessionKey(session.realm, session.details.session);
    if (on) this.localSessions.set(key, session);
    else this.localSessions.delete(key);
    if (!this.closed) this.send({ k: 'session', session, on });
  }

  shareTestaments(realm: string, session: number, testaments: readonly Testament[]): void {
    const mine = this.localSessions.get(sessionKey(realm, session));
    if (mine) mine.testaments = [...testaments];
    if (!this.closed) this.send({ k: 'testaments', realm, session, testaments: [...testaments] });
  }

  testamentsPublished(node: string, realm: string, session: number): void {
    if (!this.closed) this.send({ k: 'testamentsPublished', node, realm, session });
  }

  async askAll<Q extends ClusterQuestion>(question: Q, nodes?: readonly string[]): Promise<Asked<AnswerTo<Q>>> {
    const targets = nodes ?? this.peers();
    if (this.closed || targets.length === 0) return { answers: [], missing: [] };
    const { id, answers } = this.questions.open(targets);
    this.send({ k: 'question', id, question }, targets);
    return answers as Promise<Asked<AnswerTo<Q>>>;
  }

  private async answer(from: string, id: number, question: ClusterQuestion): Promise<void> {
    let reply: MeshMessage;
    try {
      if (!this.sink?.answer) throw new Error('this node answers no questions');
      reply = { k: 'questionAnswer', id, answer: await this.sink.answer(from, question) };
    } catch {
      reply = { k: 'questionAnswer', id, answer: null, failed: true };
    }
    if (!this.closed) this.send(reply, [from]);
  }

  remoteSessions(realm: string): RemoteSessionDetails[] {
    const found: RemoteSessionDetails[] = [];
    for (const sessions of this.remoteSessionsByNode.values()) {
      for (const session of sessions.values()) if (session.realm === realm) found.push(session.details);
    }
    return found;
  }

  sessionIdTaken(realm: string, session: number): boolean {
    const key = sessionKey(realm, session);
    for (const sessions of this.remoteSessionsByNode.values()) if (sessions.has(key)) return true;
    return false;
  }

  share(space: string, key: string, value: unknown): void {
    const entry: SharedEntry = { space, key, value };
    const on = value !== undefined;
    if (on) this.localShared.set(entryKey(entry), entry);
    else if (!this.localShared.delete(entryKey(entry))) return;
    if (!this.closed) this.send({ k: 'shared', entry: on ? entry : { space, key, value: null }, on });
  }

  note(space: string, body: unknown, to?: readonly string[]): void {
    if (!this.closed) this.send({ k: 'note', space, body }, to);
  }

  listen(space: string, listener: SpaceListener): void {
    this.remoteShared.listen(space, listener);
  }

  unlisten(space: string): void {
    this.remoteShared.unlisten(space);
  }

  ask(node: string, channel: string, body: unknown, timeoutMs: number): Promise<unknown> {
    return this.asks.ask(node, channel, body, timeoutMs);
  }

  serve(channel: string, handler: AskHandler): () => void {
    return this.asks.serve(channel, handler);
  }

  peers(): string[] {
    return [...this.known];
  }

  get degraded(): string | undefined {
    return this.link.degraded;
  }

  /** The other nodes this one knows to want some publication. */
  interestedPeers(): string[] {
    return [...this.remote.nodes()];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.questions.closeAll();
    this.asks.close();
    this.send({ k: 'gone' });
    await this.link.close();
    this.unwatch?.();
  }

  /**
   * A node's whole state replaces what this node knew of it. Its sessions known here and absent
   * from it left while the link was away (their on_leave was dropped with the rest): they leave here now.
   */
  private stateReplaced(node: string, sessions: readonly RemoteSession[]): void {
    const known = this.remoteSessionsByNode.get(node);
    if (!known) return;
    const now = new Set(sessions.map((session) => sessionKey(session.realm, session.details.session)));
    const left = [...known].filter(([key]) => !now.has(key)).map(([, session]) => session);
    if (left.length > 0) this.sink?.sessionsLeft?.(node, left);
  }

  /** A node left, died, or came back under its name with nothing: nothing of its earlier life stays. */
  private forget(node: string): void {
    this.remote.dropNode(node);
    this.remoteProcedures.dropNode(node);
    this.remoteSummaries.dropNode(node);
    this.known.delete(node);
    const sessions = [...(this.remoteSessionsByNode.get(node)?.values() ?? [])];
    this.remoteSessionsByNode.delete(node);
    this.questions.nodeGone(node);
    this.remoteShared.dropNode(node);
    this.asks.nodeGone(node);
    this.sink?.nodeGone(node, sessions);
  }

  private receive(message: MeshMessage, from: string): void {
    if (message.k !== 'gone') this.known.add(from);
    switch (message.k) {
      case 'pub':
        this.sink?.deliver(message.publication);
        return;
      case 'rpc':
        this.sink?.callTraffic(from, message.traffic);
        return;
      case 'procedure':
        if (message.on) this.remoteProcedures.add(from, message.procedure);
        else this.remoteProcedures.remove(from, message.procedure);
        this.remoteSummaries.set(from, message.procedure, message.on ? message.summary : undefined);
        return;
      case 'interest':
        if (message.on) this.remote.add(from, message.interest);
        else this.remote.remove(from, message.interest);
        return;
      case 'sync':
        if (!this.closed) this.send(this.state(), [from]);
        return;
      case 'hello':
        this.forget(from);
        this.known.add(from); // a new life of the node, known from now on
        if (!this.closed) this.send(this.state(), [from]);
        return;
      case 'back':
        this.sink?.linkLost?.(from);
        if (!this.closed) this.send(this.state(), [from]);
        return;
      case 'state':
        this.stateReplaced(from, message.sessions);
        this.remote.dropNode(from);
        this.remoteProcedures.dropNode(from);
        this.remoteSummaries.dropNode(from);
        for (const interest of message.interests) this.remote.add(from, interest);
        for (const procedure of message.procedures) this.remoteProcedures.add(from, procedure);
        for (const { procedure, summary } of message.summaries ?? []) this.remoteSummaries.set(from, procedure, summary);
        this.remoteSessionsByNode.set(from,
          new Map(message.sessions.map((session) => [sessionKey(session.realm, session.details.session), session])));
        this.remoteShared.replace(from, message.shared ?? []);
        this.sink?.nodeJoined?.(from);
        return;
      case 'session': {
        let sessions = this.remoteSessionsByNode.get(from);
        if (!sessions) this.remoteSessionsByNode.set(from, (sessions = new Map()));
        if (message.on) sessions.set(sessionKey(message.session.realm, message.session.details.session), message.session);
        else sessions.delete(sessionKey(message.session.realm, message.session.details.session));
        return;
      }
      case 'testaments': {
        const session = this.remoteSessionsByNode.get(from)?.get(sessionKey(message.realm, message.session));
        if (session) session.testaments = message.testaments;
        return;
      }
      case 'testamentsPublished': {
        // Published by a node that noticed the death before this one: this node must not publish them again when it notices.
        const session = this.remoteSessionsByNode.get(message.node)?.get(sessionKey(message.realm, message.session));
        if (session) delete session.testaments;
        this.sink?.testamentsPublished?.(from, message.node, message.realm, message.session);
        return;
      }
      case 'question':
        void this.answer(from, message.id, message.question);
        return;
      case 'questionAnswer':
        this.questions.answered(message.id, from, message.answer, message.failed);
        return;
      case 'shared':
        if (message.on) this.remoteShared.set(from, message.entry);
        else this.remoteShared.withdraw(from, message.entry.space, message.entry.key);
        return;
      case 'note':
        this.remoteShared.note(from, message.space, message.body);
        return;
      case 'gone':
        this.forget(from);
        return;
      case 'ask':
      case 'answer':
        this.asks.receive(message, from);
        return;
    }
  }
}

function sessionKey(realm: string, session: number): string {
  return `${realm}\u0000${session}`;
}

/** The largest ticket among a node's callees of a first/last registration, if any has one (see rankOf). */
function highestTicket(summary: ProcedureSummary): number | undefined {
  if (summary.invoke !== 'first' && summary.invoke !== 'last') return undefined;
  const known = [summary.first, summary.last].filter((ticket) => ticket < unknownTicket);
  return known.length > 0 ? Math.max(...known) : undefined;
}

function seatKey(group: string, member: string): string {
  return `${group}\u0000${member}`;
}
