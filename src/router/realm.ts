import { MessageType } from '../protocol/codes.js';
import { ErrorUri } from '../protocol/errors.js';
import type { Call, Dict, Publish, Register, Subscribe, WampMessage } from '../protocol/messages.js';
import { privateUriPrefix, uriProblem, uriProblemKind, type MatchPolicy } from '../protocol/uri.js';
import { Broker } from './broker/broker.js';
import type { EventHistorySetting } from './broker/event-history.js';
import type { HistoryStore } from './broker/history-store.js';
import { Dealer, realClock, type Clock } from './dealer/dealer.js';
import type { CallQueueSetting } from './dealer/call-queue.js';
import { welcomeRoles } from './features.js';
import type { Backplane, MetaQuestion, RemoteSessionDetails } from './backplane.js';
import type { Testament } from './meta/testaments.js';
import type { Action, Authorizer, Decision, SessionFacts } from './hooks.js';
import { maxQuestionsInFlight } from './backplane-questions.js';
import { PublishRate } from './limits/publish-rate.js';
import { WarningThrottle } from './limits/warning-throttle.js';
import { publishRateMessage, type RealmLimits, type SessionLimits } from './limits/session-limits.js';
import { clipped, type Logger } from './log.js';
import type { PublishRefusal } from './peer.js';
import type { BoundCounter } from '../metrics/registry.js';
import {
  OptionError, readCallOptions, type CallOptions, readPublishOptions, readRegisterOptions, readSubscribeOptions,
} from './options.js';
import { RealmEvents } from './realm-events.js';
import type { RouterMetrics } from './router-metrics.js';
import type { Session, SessionOrigin } from './session.js';
import type { SessionStatsSettings } from './stats/session-meter.js';
import { SessionStats } from './stats/session-stats.js';

/** Why a URI may not be used: its reason as junction_uris_refused_total labels it, and the ERROR's text. */
interface UriRefusal {
  reason: 'too_long' | 'malformed' | 'reserved';
  text: string;
}

export interface RealmSettings {
  name: string;
  authorizer: Authorizer;
  /** "strict" allows only lower-case letters, digits and "_" in URI components. */
  uriCheck: 'strict' | 'loose';
  /** Topics (or patterns) whose events are kept for wamp.subscription.get_events. Default: none. */
  eventHistory?: EventHistorySetting[];
  /** Where the event history is also kept across restarts (a "cfxdb" store). Default: memory only. */
  historyStore?: HistoryStore;
  /** Procedures whose calls wait while every callee is at its concurrency limit. Default: none. */
  callQueues?: CallQueueSetting[];
  /** Serve the meta API (wamp.session.*, wamp.subscription.*, wamp.registration.*, testaments). Default true. */
  enableMetaApi?: boolean;
  /** What one non-trusted session may hold or do, and what the realm retains (0 = no limit); the config schema has the defaults. */
  limits: RealmLimits;
  /** Session statistics (wamp.session.on_stats reports); needs the meta API. Default: none. */
  stats?: SessionStatsSettings;
}

/** What a realm's meta API does for the other nodes of a cluster. */
export interface ClusterMetaService {
  /** Answers another node's question about this node's part of the realm. */
  answer(question: MetaQuestion): unknown;
  /** Publishes the testaments of a session whose node died (this node was chosen to, so they are published once). */
  publishTestaments(testaments: readonly Testament[]): void;
}

/**
 * One routing domain: its sessions, broker and dealer. Every action is authorized and its URI
 * checked before it reaches the broker or dealer; refusals are ERRORs that name the action and URI.
 */
export class Realm {
  readonly name: string;
  /** Client sessions by ID. The router's own internal sessions (meta API, bridges) are not the realm's clients: they are kept apart. */
  readonly sessions = new Map<number, Session>();
  private readonly internalSessions = new Map<number, Session>();

  /** Whether a session of this realm (client or internal) has this id. */
  hasSession(id: number): boolean {
    return this.sessions.has(id) || this.internalSessions.has(id);
  }
  readonly broker: Broker;
  readonly dealer: Dealer;
  /** Lifecycle changes, for the meta API. */
  readonly events = new RealmEvents();
  readonly metaApi: boolean;
  /** WELCOME.Details.roles for sessions of this realm. */
  readonly roles: Dict;
  /** The realm's own copy: the broker, dealer, retained events and sessions' queues hold this object, and a reload updates it in place. */
  readonly limits: RealmLimits;
  /** Session statistics, when the realm has `stats`: each client session's meter, and the reports. */
  readonly stats: SessionStats | undefined;
  /** Set by the realm's meta API when the node is in a cluster: what it does for the other nodes. */
  clusterMeta: ClusterMetaService | undefined;
  private authorizer: Authorizer;
  private strictUris: boolean;
  private publishRate: SessionLimits['publishRate'];
  private readonly publishRateLimited: BoundCounter;
  private readonly questionRefusals = new WarningThrottle();
  private readonly uriRefusals = new WarningThrottle();
  private readonly received: Record<SessionOrigin, BoundCounter>;

  constructor(settings: RealmSettings, private readonly metrics: RouterMetrics, private readonly log: Logger,
    private readonly clock: Clock = realClock, readonly backplane?: Backplane) {
    this.name = settings.name;
    const limits = { ...settings.limits };
    this.limits = limits;
    this.publishRate = limits.publishRate;
    this.publishRateLimited = metrics.publishRateLimited.bind({ realm: this.name });
    this.received = { client: metrics.messagesReceived.bind({ origin: 'client' }), internal: metrics.messagesReceived.bind({ origin: 'internal' }) };
    this.authorizer = settings.authorizer;
    this.strictUris = settings.uriCheck === 'strict';
    this.metaApi = settings.enableMetaApi ?? true;
    this.roles = welcomeRoles({ metaApi: this.metaApi });
    if (settings.stats && !this.metaApi) throw new Error(`realm "${this.name}": session statistics are published by the meta API, which is off`);
    this.stats = settings.stats && new SessionStats(settings.stats, () => this.sessions.values(), { counter: metrics.statsReports, realm: this.name });
    this.broker = new Broker(this.name, metrics, this.events, {
      eventHistory: settings.eventHistory ?? [],
      retention: limits,
      replayLimits: limits,
      maxSubscriptionsPerSession: limits.maxSubscriptionsPerSession,
      now: () => clock.now(),
      log,
      backplane,
      historyStore: settings.historyStore,
    });
    this.dealer = new Dealer(this.name, metrics, this.events, clock, limits, settings.callQueues);
  }

  /**
   * Takes what a configuration reload may change while sessions stay: the authorizer (a new one
   * starts with empty caches, so no earlier decision outlives its permissions), the URI rule and
   * the limits. New limits bound what sessions and the realm add from now on; nothing already
   * held is taken away. Every limited session gets a fresh publish-rate bucket.
   */
  reconfigure(settings: Pick<RealmSettings, 'authorizer' | 'uriCheck' | 'limits'>): void {
    this.authorizer = settings.authorizer;
    this.strictUris = settings.uriCheck === 'strict';
    // In place: the dealer, the retained events and every session's queue read this very object.
    Object.assign(this.limits, settings.limits);
    this.publishRate = this.limits.publishRate;
    this.broker.setMaxSubscriptionsPerSession(this.limits.maxSubscriptionsPerSession);
    for (const session of this.sessions.values()) {
      session.publishRate = session.limited ? this.newPublishRate() : undefined;
    }
  }

  /** Says GOODBYE to every session of the realm, the router's own included (the realm is going away); see Session.goodbye. */
  closeAll(reason: string, message: string, answerWithinMs?: number): void {
    for (const session of [...this.sessions.values(), ...this.internalSessions.values()]) session.goodbye(reason, message, answerWithinMs);
  }

  join(session: Session): void {
    session.joinedAtMs = Date.now();
    if (session.trusted) {
      this.internalSessions.set(session.id, session);
    } else {
      this.sessions.set(session.id, session);
      if (session.limited) session.publishRate = this.newPublishRate();
    }
    this.metrics.sessions.add(1, { realm: this.name, origin: session.origin });
    this.metrics.sessionsJoined.inc({ realm: this.name, origin: session.origin });
    session.log.info({ authid: clipped(session.authid), authrole: clipped(session.authrole), authmethod: session.authmethod }, 'session joined');
    this.events.emit('sessionJoined', session);
  }

  /** Before a client's GOODBYE is answered; see Dealer.releaseBeforeGoodbye. */
  releaseBeforeGoodbye(session: Session): Promise<void> | undefined {
    return this.dealer.releaseBeforeGoodbye(session);
  }

  leave(session: Session): void {
    if (!this.sessions.delete(session.id) && !this.internalSessions.delete(session.id)) return;
    this.metrics.sessions.add(-1, { realm: this.name, origin: session.origin });
    this.broker.leave(session);
    this.dealer.leave(session);
    session.log.info({}, 'session left');
    this.events.emit('sessionLeft', session);
  }

  /** A bucket at the realm's publish rate for a limited session, or undefined when the realm has none. */
  private newPublishRate(): PublishRate | undefined {
    const { perSecond, burst } = this.publishRate;
    return perSecond > 0 ? new PublishRate(perSecond, burst, this.clock.now()) : undefined;
  }

  /** Joined sessions by origin: what /info, the shutdown log and the junction_sessions gauge report. */
  sessionCounts(): Record<SessionOrigin, number> {
    const counts = { client: 0, internal: this.internalSessions.size };
    for (const session of this.sessions.values()) counts[session.origin] += 1;
    return counts;
  }

  /** The client sessions of this realm on the other nodes of the cluster (none without one), as wamp.session.get shows them. */
  remoteSessions(): RemoteSessionDetails[] {
    return this.backplane?.remoteSessions(this.name) ?? [];
  }

  /** A meta API call found too many questions to other nodes waiting (see backplane-questions.ts): counted, warned at most every 10 s. */
  questionsRefused(): void {
    this.metrics.clusterQuestionsRefused.inc({ realm: this.name });
    const refused = this.questionRefusals.record(this.clock.now());
    if (refused !== undefined) {
      this.log.warn({ refused, max: maxQuestionsInFlight },
        'meta API call refused: too many questions to the other cluster nodes are waiting for answers (refused: since the last warning; further ones not logged for 10 s)');
    }
  }

  /** A joined session by ID, a client's or one of the router's own. */
  session(id: number): Session | undefined {
    return this.sessions.get(id) ?? this.internalSessions.get(id);
  }

  /**
   * Asks the realm's authorizer on behalf of a session, outside its message flow (the meta API
   * checks testaments and event history this way, MQTT a will). An authorizer failure denies. A
   * denial is counted as one in the message flow is.
   */
  async authorize(facts: SessionFacts, action: Action, uri: string, options: Dict = {}): Promise<Decision> {
    let decision: Decision;
    try {
      decision = await this.authorizer.authorize(facts, action, uri, options);
    } catch (error) {
      this.log.error({ session: facts.session, action, uri, err: error }, 'authorizer failed; denying the action');
      decision = { allow: false };
    }
    if (!decision.allow) this.metrics.authorizationDenied.inc({ action });
    return decision;
  }

  /** Why `session` may not publish to `topic` now (an invalid or reserved URI, or the authorizer says no), or undefined: for publications made later on its behalf. */
  async publishRefusal(session: Session, topic: string, options: Dict): Promise<PublishRefusal | undefined> {
    const uriRefusal = this.uriRefusal(session, topic, 'exact', true);
    if (uriRefusal) return { error: ErrorUri.invalidUri, text: uriRefusal.text };
    const decision = session.trusted ? { allow: true } : await this.authorize(session.facts!, 'publish', topic, options);
    return decision.allow ? undefined : { error: ErrorUri.notAuthorized, text: `session ${session.id} is not authorized to publish to "${topic}"` };
  }

  /** Dispatches a client message of an established session. Returns a Promise only when authorization is asynchronous. */
  handle(session: Session, message: WampMessage): Promise<void> | void {
    this.received[session.origin].inc();
    switch (message.type) {
      case MessageType.PUBLISH: return this.publish(session, message);
      case MessageType.SUBSCRIBE: return this.subscribe(session, message);
      case MessageType.UNSUBSCRIBE: return this.broker.unsubscribe(session, message.request, message.subscription);
      case MessageType.CALL: return this.call(session, message);
      case MessageType.CANCEL: return this.guardOptions(session, MessageType.CANCEL, message.request, () => this.dealer.cancel(session, message));
      case MessageType.REGISTER: return this.register(session, message);
      case MessageType.UNREGISTER: return this.dealer.unregister(session, message.request, message.registration);
      // No closure per message on the RPC path (CALL and YIELD): its garbage is what its GC pauses are made of.
      case MessageType.YIELD:
        try {
          return this.dealer.yield(session, message);
        } catch (error) {
          return this.refuseOption(session, MessageType.YIELD, message.request, error);
        }
      case MessageType.ERROR: return this.dealer.calleeError(session, message);
      default:
        // Session only forwards the client requests above.
        return session.protocolViolation(`unexpected message type ${message.type}`);
    }
  }

  private publish(session: Session, message: Publish): Promise<void> | void {
    // First, before any parsing or authorizing: a flooding session must cost as little as possible.
    const rate = session.publishRate;
    if (rate !== undefined && !rate.take(this.clock.now())) return this.overPublishRate(session, message, rate);
    let options;
    try {
      options = readPublishOptions(message.options);
    } catch (error) {
      return this.refusePublish(session, message, ErrorUri.invalidArgument, (error as Error).message);
    }
    const refusal = this.uriRefusal(session, message.topic, 'exact', true);
    if (refusal) {
      this.metrics.urisRefused.inc({ realm: this.name, message: 'publish', reason: refusal.reason });
      return this.refusePublish(session, message, ErrorUri.invalidUri, refusal.text);
    }
    return this.authorized(session, 'publish', message.topic, message.options, (decision) => {
      if (!decision.allow) {
        return this.refusePublish(session, message, ErrorUri.notAuthorized, notAuthorized(session, 'publish', message.topic));
      }
      if (disclosureForbidden(decision, options.discloseMe)) {
        return this.refusePublish(session, message, ErrorUri.optionDisallowedDiscloseMe, discloseRefusal(session, 'publish to', message.topic));
      }
      this.broker.publish(session, message, options, decision.disclose ?? options.discloseMe);
    });
  }

  private subscribe(session: Session, message: Subscribe): Promise<void> | void {
    return this.guardOptions(session, MessageType.SUBSCRIBE, message.request, () => {
      const options = readSubscribeOptions(message.options);
      const refusal = subscribesToEverything(message.topic, options.match)
        ? undefined
        : this.uriRefusal(session, message.topic, options.match, false);
      if (refusal) return this.refuseUri(session, MessageType.SUBSCRIBE, message.request, refusal);
      return this.authorized(session, 'subscribe', message.topic, message.options, (decision) => {
        if (!decision.allow) {
          return session.sendError(MessageType.SUBSCRIBE, message.request, ErrorUri.notAuthorized,
            notAuthorized(session, 'subscribe to', message.topic));
        }
        this.broker.subscribe(session, message.request, message.topic, options);
      });
    });
  }

  private call(session: Session, message: Call): Promise<void> | void {
    let options: CallOptions;
    try {
      options = readCallOptions(message.options);
    } catch (error) {
      return this.refuseOption(session, MessageType.CALL, message.request, error);
    }
    const refusal = this.uriRefusal(session, message.procedure, 'exact', false);
    if (refusal) return this.refuseUri(session, MessageType.CALL, message.request, refusal);
    const answer = this.ask(session, 'call', message.procedure, message.options);
    if (answer instanceof Promise) return answer.then((decision) => this.callDecided(session, message, options, decision));
    return this.callDecided(session, message, options, answer);
  }

  private callDecided(session: Session, message: Call, options: CallOptions, decision: Decision): void {
    if (!this.heeds(session, 'call', decision)) return;
    if (!decision.allow) {
      return session.sendError(MessageType.CALL, message.request, ErrorUri.notAuthorized,
        notAuthorized(session, 'call', message.procedure));
    }
    if (disclosureForbidden(decision, options.discloseMe)) {
      return session.sendError(MessageType.CALL, message.request, ErrorUri.optionDisallowedDiscloseMe,
        discloseRefusal(session, 'call', message.procedure));
    }
    this.dealer.call(session, message, options, decision.disclose ?? options.discloseMe);
  }

  private register(session: Session, message: Register): Promise<void> | void {
    return this.guardOptions(session, MessageType.REGISTER, message.request, () => {
      const options = readRegisterOptions(message.options);
      const refusal = this.uriRefusal(session, message.procedure, options.match, true);
      if (refusal) return this.refuseUri(session, MessageType.REGISTER, message.request, refusal);
      return this.authorized(session, 'register', message.procedure, message.options, (decision) => {
        if (!decision.allow) {
          return session.sendError(MessageType.REGISTER, message.request, ErrorUri.notAuthorized,
            notAuthorized(session, 'register', message.procedure));
        }
        return this.dealer.register(session, message.request, message.procedure, options);
      });
    });
  }

  /** Runs a step whose option parsing may fail; a bad option becomes ERROR invalid_argument. */
  private guardOptions(session: Session, requestType: number, request: number, step: () => Promise<void> | void): Promise<void> | void {
    try {
      return step();
    } catch (error) {
      this.refuseOption(session, requestType, request, error);
    }
  }

  /** A bad option (OptionError) becomes ERROR invalid_argument; anything else is rethrown. */
  private refuseOption(session: Session, requestType: number, request: number, error: unknown): void {
    if (!(error instanceof OptionError)) throw error;
    session.sendError(requestType, request, ErrorUri.invalidArgument, error.message);
  }

  /**
   * Why a URI may not be used, or undefined. Application URIs starting with "wamp." are the
   * router's own: clients may subscribe to and call them (meta API) but not publish or register;
   * those below privateUriPrefix they may not use at all.
   */
  private uriRefusal(session: Session, uri: string, match: MatchPolicy, reservedForRouter: boolean): UriRefusal | undefined {
    // A prefix pattern may end in "." ("com.myapp." matches below com.myapp only); the rest must be a valid URI.
    const checked = match === 'prefix' && uri.length > 1 && uri.endsWith('.') ? uri.slice(0, -1) : uri;
    const problem = uriProblem(checked, { strict: this.strictUris, allowEmptyComponents: match === 'wildcard' });
    if (problem) return { reason: uriProblemKind(checked), text: problem };
    if (!session.trusted && uri.startsWith(privateUriPrefix)) {
      return { reason: 'reserved', text: `"${uri}" is private to the router` };
    }
    if (reservedForRouter && !session.trusted && uri.startsWith('wamp.')) {
      return { reason: 'reserved', text: `"${uri}" is reserved: URIs starting with "wamp." belong to the router` };
    }
    return undefined;
  }

  /**
   * A SUBSCRIBE, REGISTER or CALL whose URI is refused: ERROR invalid_uri, counted always, logged at
   * the realm's first refusal, then at most every 10 s with the count (a client must not flood the log).
   */
  private refuseUri(session: Session, requestType: number, request: number, refusal: UriRefusal): void {
    const message = requestType === MessageType.SUBSCRIBE ? 'subscribe' : requestType === MessageType.REGISTER ? 'register' : 'call';
    this.metrics.urisRefused.inc({ realm: this.name, message, reason: refusal.reason });
    const refused = this.uriRefusals.record(this.clock.now());
    if (refused !== undefined) {
      session.log.info({ message, reason: refusal.reason, err: refusal.text, refused },
        'URI refused (this realm\'s further refusals are counted, and logged at most every 10 s)');
    }
    session.sendError(requestType, request, ErrorUri.invalidUri, refusal.text);
  }

  /** Counted always; logged at the session's first refusal, then at most every 10 s with the count (a client must not flood the log). */
  private refusePublish(session: Session, message: Publish, uri: string, text: string): void {
    this.metrics.publicationsRefused.inc({ realm: this.name, error: uri });
    const refused = (session.publishRefusals ??= new WarningThrottle()).record(this.clock.now());
    if (refused !== undefined) {
      session.log.info({ topic: message.topic, error: uri, reason: text, refused },
        'publication refused (this session\'s further refusals are counted, and logged at most every 10 s)');
    }
    if (uri === ErrorUri.notAuthorized) this.metrics.authorizationDenied.inc({ action: 'publish' });
    if (message.options.acknowledge === true) session.sendError(MessageType.PUBLISH, message.request, uri, text);
  }

  /**
   * A PUBLISH over the session's rate: ERROR if it asked for acknowledgement; otherwise WAMP has
   * no way to tell the publisher, so it is dropped, counted, and logged at most every 10 s per session.
   */
  private overPublishRate(session: Session, message: Publish, rate: PublishRate): void {
    this.publishRateLimited.inc();
    if (message.options.acknowledge === true) {
      session.sendError(MessageType.PUBLISH, message.request, ErrorUri.limitExceeded, publishRateMessage(rate.perSecond, rate.burst));
    }
    const refused = rate.refused(this.clock.now());
    if (refused !== undefined) {
      session.log.warn({ refused, perSecond: rate.perSecond, burst: rate.burst },
        'publications refused: the session is over the publish rate (publish_rate); further ones are not logged for 10 s');
    }
  }

  /** Asks the authorizer; calls `then` synchronously when it answers synchronously. An authorizer failure denies. */
  private authorized(session: Session, action: Action, uri: string, options: Dict,
    then: (decision: Decision) => Promise<void> | void): Promise<void> | void {
    const answer = this.ask(session, action, uri, options);
    if (answer instanceof Promise) return answer.then((decision) => (this.heeds(session, action, decision) ? then(decision) : undefined));
    return this.heeds(session, action, answer) ? then(answer) : undefined;
  }

  /**
   * The authorizer's answer, a Promise only when it answers asynchronously; a failure (thrown or
   * rejected) is a denial. The router's own sessions (meta API, bridges) act for the router: roles
   * do not apply to them.
   */
  private ask(session: Session, action: Action, uri: string, options: Dict): Decision | Promise<Decision> {
    if (session.trusted) return trustedDecision;
    let answer: Decision | Promise<Decision>;
    try {
      answer = this.authorizer.authorize(session.facts!, action, uri, options);
    } catch (error) {
      return this.failClosed(session, action, uri, error);
    }
    if (!(answer instanceof Promise)) return answer;
    return answer.catch((error: unknown) => this.failClosed(session, action, uri, error));
  }

  /** Whether a decision is still to be acted on (its session is open); counts a denial. */
  private heeds(session: Session, action: Action, decision: Decision): boolean {
    if (session.state === 'closed') return false;
    if (!decision.allow && action !== 'publish') this.metrics.authorizationDenied.inc({ action });
    return true;
  }

  private failClosed(session: Session, action: Action, uri: string, error: unknown): Decision {
    this.log.error({ session: session.id, action, uri, err: error }, 'authorizer failed; denying the action');
    return { allow: false };
  }
}

const trustedDecision: Decision = { allow: true };

/**
 * The empty prefix matches every topic: Crossbar's "everything" subscription (Autobahn|Python's
 * meta-event example uses it). The authorizer still decides, on the URI "" with match prefix; a
 * static role allows it only with a permission that matches "" (the empty prefix).
 */
function subscribesToEverything(topic: string, match: MatchPolicy): boolean {
  return topic === '' && match === 'prefix';
}

/** The authorizer may forbid disclosure (Decision.disclose === false): then asking for it is refused, not ignored. */
function disclosureForbidden(decision: Decision, discloseMe: boolean): boolean {
  return discloseMe && decision.disclose === false;
}

function discloseRefusal(session: Session, action: string, uri: string): string {
  return `session ${session.id} (role "${session.authrole}") may not use disclose_me to ${action} "${uri}": its role forbids disclosure`;
}

function notAuthorized(session: Session, action: string, uri: string): string {
  return `session ${session.id} (role "${session.authrole}") is not authorized to ${action} "${uri}"`;
}
