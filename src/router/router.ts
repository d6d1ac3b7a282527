import type { EncodeError } from '../protocol/envelope.js';
import { ErrorUri } from '../protocol/errors.js';
import type { AnswerTo, Backplane, BackplaneSink, RemoteSessionDetails } from './backplane.js';
import { randomId } from '../protocol/ids.js';
import { sessionDetailsKey } from './session-details-key.js';
import { sessionDetails } from './meta/views.js';
import { RemoteCalls } from './backplane-calls.js';
import { DeadNodeTestaments, testamentKeepMs } from './dead-node-testaments.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { realClock, type Clock } from './dealer/dealer.js';
import type { AuthGate } from './hooks.js';
import type { QueueMeter } from './limits/inbound-queue.js';
import { tighter, type SessionLimits } from './limits/session-limits.js';
import { WarningThrottle } from './limits/warning-throttle.js';
import { silentLogger, type Logger } from './log.js';
import { startMetaApi } from './meta/meta-service.js';
import type { AttachOptions, DoorSessionLink, Peer } from './peer.js';
import { Realm, type RealmSettings } from './realm.js';
import { createRouterMetrics, type RouterMetrics } from './router-metrics.js';
import { SessionSeries } from './session-series.js';
import { Session, type GoodbyeFollower, type SessionHost, type SessionOrigin } from './session.js';

/** Where survivors of a death ask each other what they know of the dead node (DeadNodeTestaments). */
const deadNodeChannel = 'dead-node';
/** How long sessions have to finish their calls and answer the GOODBYE at shutdown, unless the node says otherwise. */
export const defaultShutdownGraceMs = 2_000;
/** How often a stop looks again whether the sessions it closes have finished their calls or left. */
const closingPollMs = 20;
/** A question between nodes, answered at once by a live one. */
const deadNodeAskTimeoutMs = 2_000;

export interface RouterOptions {
  realms: RealmSettings[];
  log?: Logger;
  metrics?: MetricsRegistry;
  /**
   * A connection must complete HELLO (and authentication) within this time, unless its transport
   * attaches it with its own (open_handshake_timeout); 0 = no limit. The node passes the config's
   * default, so the number lives in the config schema only.
   */
  helloTimeoutMs: number;
  clock?: Clock;
  /** Joins this router to a cluster: publications and subscriptions' topics cross to the other nodes. */
  backplane?: Backplane;
  /** With a backplane: how long a silent node may live on in the others' view (the cluster's lease); sets how long a dead node's testaments are kept (testamentKeepMs). */
  leaseMs?: number;
}

/**
 * The router: realms by name and every session attached to it. Transports call `attach` for each
 * new connection and feed the returned link; nothing here knows about sockets or codecs.
 */
export class Router implements SessionHost {
  readonly log: Logger;
  readonly metrics: RouterMetrics;
  readonly registry: MetricsRegistry;
  readonly helloTimeoutMs: number;
  readonly queueMeter: QueueMeter;
  readonly nodeId: string | undefined;
  readonly backplane: Backplane | undefined;
  private readonly clock: Clock;
  private readonly queueWarnings = new WarningThrottle();
  private readonly realms = new Map<string, Realm>();
  /** With a backplane: each realm's calls to and from other nodes. */
  private readonly remoteCalls = new Map<string, RemoteCalls>();
  /** With a backplane: the testaments of dead nodes' sessions, until one survivor has published them. */
  private readonly deadTestaments: DeadNodeTestaments | undefined;
  private readonly sessions = new Set<Session>();
  private closing = false;
  /** Set when the node begins to stop: sessions over a transport are refused; the node's own still join. */
  private refusingClients = false;
  /** Whether this node has copied the retained events and event history of another (once, after it started). */
  private stateCopied = false;
  private readonly services: Promise<void>;
  private readonly stopExpiringRetained: () => void;

  constructor(options: RouterOptions) {
    this.log = options.log ?? silentLogger;
    this.registry = options.metrics ?? new MetricsRegistry();
    this.metrics = createRouterMetrics(this.registry);
    this.helloTimeoutMs = options.helloTimeoutMs;
    this.clock = options.clock ?? realClock;
    const { queuedMessages, queuedBytes } = this.metrics;
    this.queueMeter = {
      changed: (messages, bytes) => {
        queuedMessages.add(messages);
        queuedBytes.add(bytes);
      },
    };
    // Retained events whose MQTT Message Expiry ran out are removed when the gauges are read too, so these never count one.
    this.stopExpiringRetained = this.registry.collect(() => {
      for (const realm of this.realms.values()) realm.broker.removeExpiredRetained();
    });
    this.backplane = options.backplane;
    this.nodeId = this.backplane?.nodeId;
    for (const settings of options.realms) this.createRealm(settings);
    if (this.backplane) this.deadTestaments = this.keepDeadTestaments(this.backplane, testamentKeepMs(options.leaseMs));
    this.backplane?.attach(this.clusterSink());
    this.services = Promise.all([...this.realms.values()].map((realm) => this.startServices(realm))).then(() => undefined);
  }

  /** A realm of a node in a cluster: its calls may cross nodes, and the other nodes' meta API sees its client sessions. */
  private joinCluster(realm: Realm, backplane: Backplane): void {
    const remote = new RemoteCalls(realm, backplane, this);
    realm.dealer.joinCluster(remote, realm.name);
    this.remoteCalls.set(realm.name, remote);
    realm.events.listen({
      sessionJoined: (session) => {
        if (!session.trusted) backplane.announceSession(realm.name, { ...sessionDetails(session), node: backplane.nodeId } as RemoteSessionDetails, true);
      },
      sessionLeft: (session) => {
        if (!session.trusted) {
          backplane.announceSession(realm.name, { session: session.id, authid: session.authid, authrole: session.authrole, node: backplane.nodeId }, false);
        }
      },
    });
  }

  /** Publications and calls from other nodes reach each realm's broker and dealer. */
  private clusterSink(): BackplaneSink {
    return {
      deliver: (publication) => this.realms.get(publication.realm)?.broker.receiveRemote(publication),
      callTraffic: (from, traffic) => this.remoteCalls.get(traffic.realm)?.receive(from, traffic),
      nodeGone: (node, sessions) => {
        for (const remote of this.remoteCalls.values()) remote.nodeGone(node, 'left');
        const orphaned = sessions.map(({ realm, details, testaments }) => ({ realm, session: details.session, testaments: testaments ?? [] }));
        this.deadTestaments!.nodeGone(node, orphaned, this.backplane!.peers());
        for (const { realm, details } of sessions) this.remoteSessionLeft(realm, details);
      },
      linkLost: (node) => {
        for (const remote of this.remoteCalls.values()) remote.nodeGone(node, 'was out of reach (the cluster\'s link was lost)');
      },
      sessionsLeft: (_node, sessions) => {
        for (const { realm, details } of sessions) this.remoteSessionLeft(realm, details);
      },
      testamentsPublished: (_from, node, realm, session) => this.deadTestaments!.published(node, realm, session),
      nodeJoined: (node) => this.copyState(node),
      answer: async (_from, question) => {
        const realm = this.realms.get(question.realm);
        // A node without the realm has nothing of it: no session to close, no item, nothing retained or kept.
        if (!realm) return [];
        if (question.k === 'retained') return realm.broker.retainedSnapshot();
        if (question.k === 'history') return realm.broker.historySnapshot();
        if (!realm.clusterMeta) throw new Error(`realm "${question.realm}" has no meta API on this node`);
        return realm.clusterMeta.answer(question);
      },
    };
  }

  /**
   * Once, from the first node this one hears in full after it started: the retained events and
   * the event history kept from before it started, so a late subscriber or get_events here gets
   * them too. A node that does not answer in time leaves this node with what is published from
   * now on (logged). Serving goes on meanwhile: the answers merge with what arrived since.
   */
  private copyState(node: string): void {
    if (this.stateCopied) return;
    this.stateCopied = true;
    for (const realm of this.realms.values()) {
      this.copyFrom(node, { k: 'retained', realm: realm.name }, 'retained events', (answer) => realm.broker.adoptRetained(answer));
      if (!realm.broker.keepsHistory) continue;
      this.copyFrom(node, { k: 'history', realm: realm.name }, 'event history', (answer) => realm.broker.adoptHistory(answer));
    }
  }

  private copyFrom<Q extends { k: 'retained' | 'history'; realm: string }>(node: string, question: Q, what: string,
    adopt: (answer: AnswerTo<Q>) => void): void {
    const notCopied = `${what} from before this node started could not be copied`;
    this.backplane!.askAll(question, [node]).then(({ answers, missing }) => {
      for (const { answer } of answers) adopt(answer);
      if (missing.length > 0) this.log.warn({ realm: question.realm, other_node: node, reason: 'the node did not answer' }, notCopied);
    }, (error: unknown) => this.log.warn({ realm: question.realm, other_node: node, err: error }, notCopied));
  }

  /** Dead nodes' testaments are published here through the realm's meta API, once in the cluster (see DeadNodeTestaments). */
  private keepDeadTestaments(backplane: Backplane, keepMs: number): DeadNodeTestaments {
    const kept = new DeadNodeTestaments(backplane.nodeId, {
      publish: (realm, testaments) => this.realms.get(realm)?.clusterMeta?.publishTestaments(testaments),
      announcePublished: (node, realm, session) => backplane.testamentsPublished(node, realm, session),
      dropped: (_node, sessions) => this.metrics.deadTestamentsDropped.inc({}, sessions),
      ask: (witness, node) => backplane.ask(witness, deadNodeChannel, node, deadNodeAskTimeoutMs),
    }, this.clock, this.log.child({ part: 'cluster' }), keepMs);
    backplane.serve(deadNodeChannel, async (node) => {
      if (typeof node !== 'string') throw new Error('a dead node\'s name was expected');
      return kept.knowledgeOf(node, backplane.peers().includes(node));
    });
    return kept;
  }

  /**
   * A session of a node that died or left: its node cannot say wamp.session.on_leave any more, so
   * each node tells its own subscribers (locally only: every subscriber hears it once).
   */
  private remoteSessionLeft(realmName: string, details: RemoteSessionDetails): void {
    const realm = this.realms.get(realmName);
    if (!realm?.metaApi) return;
    // As the session's own node would have published it (meta-events.ts): Crossbar's one argument,
    // the details it joined with (as wamp.session.get showed them, without the node) in EVENT.Details.
    const { node: _node, ...joined } = details;
    realm.broker.receiveRemote({
      realm: realmName, topic: 'wamp.session.on_leave', publication: randomId(), publisher: 0, origin: 'internal',
      options: {}, details: { [sessionDetailsKey]: joined }, args: [details.session],
    }, true);
  }

  /** Resolves once the router's own services (the meta API of each realm that has it) are serving. */
  ready(): Promise<void> {
    return this.services;
  }

  /** A new connection: returns the link the transport feeds with what it receives. */
  attach(peer: Peer, auth: AuthGate, options: AttachOptions = {}): DoorSessionLink {
    if (!options.sessionSeries) return this.openSession(peer, auth, options);
    return new SessionSeries(this, peer, auth, options);
  }

  /** Whether the router is shutting down or refusing clients (a connection's next session is then not opened). */
  get isClosing(): boolean {
    return this.closing || this.refusingClients;
  }

  /**
   * The node begins to stop: from now on every session over a transport is refused as at shutdown
   * (each door answers with its own refusal), before any sign-in; sessions joined keep working
   * until shutdown(), and the node's own (components, bridges) may still join.
   */
  refuseClientSessions(): void {
    this.refusingClients = true;
  }

  /** A session on `peer`; `series`, if any, is told when the client leaves with GOODBYE (SeriesHost). */
  openSession(peer: Peer, auth: AuthGate, options: AttachOptions, series?: GoodbyeFollower): Session {
    const session = new Session(peer, this, auth, options.helloTimeoutMs ?? this.helloTimeoutMs, series);
    session.trusted = options.trusted ?? false;
    session.limited = !session.trusted && options.exemptFromLimits !== true;
    this.sessions.add(session);
    const client = session.origin === 'client';
    if (this.closing || (this.refusingClients && client)) {
      if (client) this.metrics.sessionsRefusedStopping.inc({ transport: peer.transport.type });
      session.abort(ErrorUri.systemShutdown, 'the router is shutting down');
    }
    return session;
  }

  /** A realm added while the router runs (a config reload); resolves once its meta API serves. */
  async addRealm(settings: RealmSettings): Promise<Realm> {
    if (this.realms.has(settings.name)) throw new Error(`realm "${settings.name}" already exists`);
    const realm = this.createRealm(settings);
    await this.startServices(realm);
    return realm;
  }

  /**
   * Takes a realm away (a config reload): new HELLOs for it get wamp.error.no_such_realm, and every
   * session in it, the router's own included, gets GOODBYE with `reason` and `message`; one that
   * has not answered within `answerWithinMs` is disconnected.
   */
  removeRealm(name: string, reason: string, message: string, answerWithinMs?: number): void {
    const realm = this.realms.get(name);
    if (!realm) return;
    this.realms.delete(name);
    realm.closeAll(reason, message, answerWithinMs);
    this.remoteCalls.delete(name);
  }

  realm(name: string): Realm | undefined {
    return this.realms.get(name);
  }

  /**
   * Session ids are random (WAMP's global scope); one already used in the realm, here or on a node
   * that announced it, is drawn again, so an id names one session across the cluster. (Two nodes
   * drawing the same new id before either announces it remains possible, at odds of about one in
   * 2^53 per pair of simultaneous joins.)
   */
  newSessionId(realmName: string | null): number {
    const realm = realmName === null ? undefined : this.realms.get(realmName);
    for (;;) {
      const id = randomId();
      if (!realm?.hasSession(id) && (realmName === null || !this.backplane?.sessionIdTaken(realmName, id))) return id;
    }
  }

  signInQueueLimits(): SessionLimits | undefined {
    let tightest: SessionLimits | undefined;
    for (const { limits } of this.realms.values()) {
      tightest = tightest === undefined ? limits : {
        ...tightest,
        maxQueuedMessagesPerSession: tighter(tightest.maxQueuedMessagesPerSession, limits.maxQueuedMessagesPerSession),
        maxQueuedBytesPerSession: tighter(tightest.maxQueuedBytesPerSession, limits.maxQueuedBytesPerSession),
      };
    }
    return tightest;
  }

  realmNames(): string[] {
    return [...this.realms.keys()];
  }

  /** Sessions attached by transports; the router's own internal sessions are not counted. */
  get sessionCount(): number {
    let count = 0;
    for (const session of this.sessions) if (!session.trusted) count++;
    return count;
  }

  /** Sessions joined to a realm, by origin; each of them logs "session left" when it goes. */
  joinedSessions(): Record<SessionOrigin, number> {
    const total = { client: 0, internal: 0 };
    for (const realm of this.realms.values()) {
      const counts = realm.sessionCounts();
      total.client += counts.client;
      total.internal += counts.internal;
    }
    return total;
  }

  sessionClosed(session: Session): void {
    this.sessions.delete(session);
  }

  private createRealm(settings: RealmSettings): Realm {
    const realm = new Realm(settings, this.metrics, this.log.child({ realm: settings.name }), this.clock, this.backplane);
    this.realms.set(settings.name, realm);
    if (this.backplane) this.joinCluster(realm, this.backplane);
    return realm;
  }

  /**
   * The meta API joins a realm that enables it before any transport is listening: the join and
   * its registrations complete within the current turn of the event loop.
   */
  private async startServices(realm: Realm): Promise<void> {
    if (!realm.metaApi) return;
    try {
      await startMetaApi(realm, this.attach.bind(this));
    } catch (error) {
      this.log.error({ realm: realm.name, err: error }, 'the meta API could not start');
    }
  }

  /** Counted always; warned at the session's first, then at most every 10 s with the count (one publication reaches many sessions). */
  notEncodable(session: Session, error: EncodeError, action: string): void {
    this.metrics.unencodable.inc({ type: error.messageType, serializer: error.serializer });
    const count = (session.unencodable ??= new WarningThrottle()).record(this.clock.now());
    if (count === undefined) return;
    session.log.warn({ session: session.id || undefined, reason: error.message, action, count },
      'message not encodable for this session; not sent (this session\'s further ones are counted, and warned at most every 10 s)');
  }

  queueOverflow(session: Session, outcome: 'paused' | 'aborted', queued: { messages: number; bytes: number }): void {
    this.metrics.queueOverflows.inc({ outcome });
    const overflows = this.queueWarnings.record(this.clock.now());
    if (overflows === undefined) return;
    session.log.warn({ session: session.id || undefined, outcome, queuedMessages: queued.messages, queuedBytes: queued.bytes, overflows },
      outcome === 'paused'
        ? 'incoming queue over max_queued_messages_per_session or max_queued_bytes_per_session: reading paused until it drains (overflows: since the last warning; further ones not logged for 10 s)'
        : 'incoming queue over max_queued_messages_per_session or max_queued_bytes_per_session on a transport that cannot pause: session aborted (overflows: since the last warning; further ones not logged for 10 s)');
  }

  helloRealmRefused(reason: 'too_long' | 'malformed'): void {
    this.metrics.urisRefused.inc({ realm: '', message: 'hello', reason });
  }

  protocolViolation(session: Session, reason: string): void {
    this.metrics.protocolViolations.inc();
    session.log.warn({ session: session.id || undefined, reason }, 'protocol violation; aborting the session');
  }

  /**
   * The client half of a stop, after refuseClientSessions: GOODBYE (wamp.close.system_shutdown) to
   * every client session but the `spared` ones (the node's own parts that connect as clients), as
   * shutdown() does; the node's components keep serving them meanwhile. Resolves once they have left.
   */
  closeClientSessions(graceMs: number, spared: (session: Session) => boolean): Promise<void> {
    return this.closeSessions(graceMs, (session) => session.origin === 'client' && !spared(session));
  }

  /**
   * Says GOODBYE (wamp.close.system_shutdown) to every session still there and resolves once all
   * have left; the caller then closes the transports.
   */
  async shutdown(graceMs = defaultShutdownGraceMs): Promise<void> {
    this.closing = true;
    this.deadTestaments?.close();
    this.stopExpiringRetained();
    await this.closeSessions(graceMs, () => true);
  }

  /**
   * GOODBYE to each session `which` picks once no call it made waits for an answer (the work it
   * began finishes first, as its callees still serve), at the latest after `graceMs`, its calls
   * still waiting then ended with wamp.error.canceled; then each has `graceMs` to answer it. One
   * still there is disconnected, so that its leaving is logged before the stop ends.
   */
  private async closeSessions(graceMs: number, which: (session: Session) => boolean): Promise<void> {
    const closing = (): Session[] => [...this.sessions].filter(which);
    const untold = (): Session[] => closing().filter((session) => session.state !== 'shutting_down');
    const goodbye = (session: Session): void => session.goodbye(ErrorUri.systemShutdown, 'the router is shutting down');
    const busyToTheEnd = await this.waitWhile(graceMs, () => {
      for (const session of untold()) if (!this.hasCallsWaiting(session)) goodbye(session);
      return untold();
    });
    for (const session of busyToTheEnd) {
      this.realms.get(session.realmName)?.dealer.cancelCallsOf(session, `the router is shutting down: the call was not answered within the ${graceMs} ms grace period`);
      goodbye(session);
    }
    const still = await this.waitWhile(graceMs, closing);
    if (still.length > 0) this.log.warn({ sessions: still.length, graceMs }, 'sessions still there at the end of the shutdown grace period: disconnected');
    for (const session of still) session.disconnect('the shutdown grace period ended');
  }

  /** Looks every closingPollMs, for at most `ms`, until `pending` finds no session; returns those it last found. */
  private async waitWhile(ms: number, pending: () => Session[]): Promise<Session[]> {
    const deadline = this.clock.now() + ms;
    for (;;) {
      const found = pending();
      const remainingMs = deadline - this.clock.now();
      if (found.length === 0 || remainingMs <= 0) return found;
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, Math.min(closingPollMs, remainingMs)));
    }
  }

  /** Whether a call this session made waits for its answer (in flight, queued, or on another node). */
  private hasCallsWaiting(session: Session): boolean {
    return session.state === 'established' && (this.realms.get(session.realmName)?.dealer.callsWaitingOf(session) ?? 0) > 0;
  }

}
