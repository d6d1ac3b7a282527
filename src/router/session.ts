import { MessageType, messageTypeName } from '../protocol/codes.js';
import { EncodeError, Envelope } from '../protocol/envelope.js';
import { ErrorUri } from '../protocol/errors.js';
import { IdSequence } from '../protocol/ids.js';
import type { Authenticate, Dict, Hello, WampMessage } from '../protocol/messages.js';
import { isDict, parseMessage } from '../protocol/parse.js';
import { uriProblem, uriProblemKind } from '../protocol/uri.js';
import type { AuthGate, AuthOutcome, Identity, SessionFacts } from './hooks.js';
import { InboundQueue, type QueuedMessage, type QueueMeter } from './limits/inbound-queue.js';
import { queueOverflowMessage, type SessionLimits } from './limits/session-limits.js';
import type { PublishRate } from './limits/publish-rate.js';
import type { WarningThrottle } from './limits/warning-throttle.js';
import { sharedRoles } from './client-roles.js';
import { boundLogger, clipped, type Logger } from './log.js';
import type { DoorSessionLink, Peer, PublishRefusal } from './peer.js';
import type { SessionMeter } from './stats/session-meter.js';
import { ForgottenCalls, planForUndeliverable } from './undeliverable.js';

/**
 * One WAMP session: HELLO → (CHALLENGE ↔ AUTHENTICATE) → WELCOME → established → closed.
 * It enforces which messages each state accepts and processes messages strictly in order: when
 * a step is asynchronous (authentication, a dynamic authorizer), later messages wait in a queue.
 * That queue is held to the realm's limits (the realm named in HELLO until WELCOME): past them,
 * a transport that can stop reading is paused until half the queue has drained (backpressure);
 * one that cannot (long-poll) has its session aborted. Nothing queued is dropped.
 */

export type SessionState = 'awaiting_hello' | 'authenticating' | 'established' | 'shutting_down' | 'closed';

/**
 * What a session asks of the realm it signs in to and joins (realm.ts): declared here, so that
 * the session, below its realm, names no realm module.
 */
export interface SessionRealm {
  readonly roles: Dict;
  readonly limits: SessionLimits;
  /** Session statistics, when the realm keeps them (stats/session-stats.ts). */
  readonly stats: { meterFor(session: Session): SessionMeter<Session> } | undefined;
  join(session: Session): void;
  releaseBeforeGoodbye(session: Session): Promise<void> | undefined;
  leave(session: Session): void;
  handle(session: Session, message: WampMessage): Promise<void> | void;
  publishRefusal(session: Session, topic: string, options: Dict): Promise<PublishRefusal | undefined>;
}

/** What a session needs from the router: realms by name, its bookkeeping. */
export interface SessionHost {
  realm(name: string): SessionRealm | undefined;
  sessionClosed(session: Session): void;
  protocolViolation(session: Session, reason: string): void;
  /** Counts a HELLO refused for its realm name: not a URI, or too long. */
  helloRealmRefused(reason: 'too_long' | 'malformed'): void;
  /** Logs and counts a message this session's serializer could not encode. */
  notEncodable(session: Session, error: EncodeError, action: string): void;
  /** The session's incoming queue passed a limit: reading was paused, or the session is being aborted. */
  queueOverflow(session: Session, outcome: 'paused' | 'aborted', queued: { messages: number; bytes: number }): void;
  /** Counts every session's queued messages and bytes. */
  readonly queueMeter: QueueMeter;
  readonly log: Logger;
  /** This node's name when it is one of a cluster's; WELCOME tells the client which node it reached. */
  readonly nodeId: string | undefined;
  /** A random session id no session of realm `realmName` has, on this node or (in a cluster) any other. */
  newSessionId(realmName: string | null): number;
  /**
   * The queue limits of a session signing in toward a realm this router does not have (the sign-in
   * may place it in any realm): the tightest of its realms'; undefined when it has none.
   */
  signInQueueLimits(): SessionLimits | undefined;
}

/** Crossbar's words for HELLO without a realm that no sign-in placed anywhere. */
function noSuchRealmMessage(realmName: string | null): string {
  return realmName === null ? 'no realm requested' : `no realm named "${realmName}" exists on this router`;
}

/** Messages a client may send on an established session. */
const clientRequests = new Set<number>([
  MessageType.PUBLISH, MessageType.SUBSCRIBE, MessageType.UNSUBSCRIBE, MessageType.CALL, MessageType.CANCEL,
  MessageType.REGISTER, MessageType.UNREGISTER, MessageType.YIELD, MessageType.ERROR,
]);

/**
 * Who opened a session: a client over a transport (WebSocket, RawSocket, long-poll, SSE), or the
 * node itself in-process (the meta API, the HTTP bridge's publisher and caller, forwarders, REST
 * callees, process components). /info counts clients only; the metrics carry it as a label.
 */
export type SessionOrigin = 'client' | 'internal';

/**
 * Where a connection goes after its client's GOODBYE was answered (a SessionSeries): to a next
 * session on the same transport, which gets the messages the client sent after GOODBYE.
 */
export interface GoodbyeFollower {
  afterGoodbye(pipelined: readonly QueuedMessage[]): void;
}

/** A session's yes/no state, as bits of one number (a field each would take 8 bytes per session). */
const TRUSTED = 1;
const LIMITED = 2;
const FOLLOWS_GOODBYE = 4;
const PAUSED = 8;
const BUSY = 16;
/** Its peer is the router's own (transport type "internal"): read once, as `origin` is read per message. */
const INTERNAL = 32;
/** A message is being sent in place of one that could not be (router/undeliverable.ts). */
const REPLACING = 64;

/** What the log and the close say when the message sent in place of an undeliverable one cannot be sent either. */
const replacementFailed = 'session closed: the replacement of an undeliverable message could not be sent either';

/** Before HELLO: no roles announced (one shared frozen dict, not one per session). */
const NO_ROLES: Dict = Object.freeze({});

export class Session implements DoorSessionLink {
  id = 0;
  realmName = '';
  // The identity is kept once, in `facts` (set at WELCOME); these read it.
  get authid(): string {
    return this.facts?.authid ?? '';
  }
  get authrole(): string {
    return this.facts?.authrole ?? '';
  }
  get authmethod(): string {
    return this.facts?.authmethod ?? '';
  }
  get authprovider(): string {
    return this.facts?.authprovider ?? '';
  }
  get authextra(): Dict | undefined {
    return this.facts?.authextra;
  }
  /** HELLO.Details.roles: which roles and features the client announced. */
  clientRoles: Dict = NO_ROLES;
  state: SessionState = 'awaiting_hello';
  realm: SessionRealm | undefined;
  /** TRUSTED, LIMITED, FOLLOWS_GOODBYE, PAUSED, BUSY, INTERNAL. */
  private flags = LIMITED;
  /** Set for the router's own internal sessions (meta API, bridges), which may use `wamp.*` URIs. */
  get trusted(): boolean {
    return (this.flags & TRUSTED) !== 0;
  }
  set trusted(on: boolean) {
    this.setFlag(TRUSTED, on);
  }
  get origin(): SessionOrigin {
    return (this.flags & INTERNAL) !== 0 ? 'internal' : 'client';
  }
  /** Held to the realm's per-session limits: every network session; not the router's own or bridge sessions. */
  get limited(): boolean {
    return (this.flags & LIMITED) !== 0;
  }
  set limited(on: boolean) {
    this.setFlag(LIMITED, on);
  }
  /** Router → client request IDs (INVOCATION, INTERRUPT) come from the session scope; made on first use (a subscriber never needs them). */
  get requestIds(): IdSequence {
    return (this.ids ??= new IdSequence());
  }
  /**
   * Bound when something is logged, not kept: a logger per session costs about 150 bytes, and a
   * session rarely logs. Its fields: the peer, and once joined the session ID and realm.
   */
  get log(): Logger {
    const peer = this.peer.transport.peer;
    return this.facts ? boundLogger(this.host.log, { peer, session: this.id, realm: this.realmName }) : boundLogger(this.host.log, { peer });
  }
  /** When the session joined its realm (ms since the epoch; 0 before WELCOME): a number, not a 40-byte string per session. */
  joinedAtMs = 0;
  /** When the session joined its realm (ISO 8601); empty before WELCOME. */
  get joinedAt(): string {
    return this.joinedAtMs === 0 ? '' : new Date(this.joinedAtMs).toISOString();
  }
  /** Who this session is, as authorizers and the meta API see it; set at WELCOME. */
  facts: SessionFacts | undefined;
  /** A later session of a connection whose client said GOODBYE (a session series): without a new HELLO, the connection just closes. */
  get followsGoodbye(): boolean {
    return (this.flags & FOLLOWS_GOODBYE) !== 0;
  }
  set followsGoodbye(on: boolean) {
    this.setFlag(FOLLOWS_GOODBYE, on);
  }
  /** The realm's publish rate for this session; set when it joins, unless it is trusted or the realm has no rate limit. */
  publishRate: PublishRate | undefined;
  /**
   * Log throttles for what one message of a client can cause again and again (a refused PUBLISH, an
   * event this session cannot encode): created at the first occurrence (most sessions never need them).
   */
  publishRefusals: WarningThrottle | undefined;
  unencodable: WarningThrottle | undefined;
  /** Counts this session's messages for its realm's `stats` reports; set at HELLO for client sessions of a realm with `stats`. */
  meter: SessionMeter<Session> | undefined;

  private ids: IdSequence | undefined;
  /** Calls whose progressive result could not be encoded: the rest of their results is dropped. */
  private forgotten: ForgottenCalls | undefined;
  /** Messages waiting while an earlier one is handled; only while there are some (most sessions never queue). */
  private queue: InboundQueue | undefined;
  /** The limits of the realm named in HELLO, then of the realm joined. */
  private queueLimits: SessionLimits | undefined;
  /** Reading from the transport is paused because the queue passed a limit. */
  private get paused(): boolean {
    return (this.flags & PAUSED) !== 0;
  }
  private set paused(on: boolean) {
    this.setFlag(PAUSED, on);
  }
  /** A message is being handled (asynchronously): the next ones wait in the queue. */
  private get busy(): boolean {
    return (this.flags & BUSY) !== 0;
  }
  private set busy(on: boolean) {
    this.setFlag(BUSY, on);
  }
  private challenge: Extract<AuthOutcome, { kind: 'challenge' }> | undefined;
  private helloTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly peer: Peer,
    private readonly host: SessionHost,
    private readonly auth: AuthGate,
    helloTimeoutMs: number,
    /** Told after the client's GOODBYE was answered; without it, the connection is closed. */
    private readonly series?: GoodbyeFollower,
  ) {
    // A peer may make its TransportInfo when asked (WebSocketConnection does, to keep no object per connection).
    if (peer.transport.type === 'internal') this.flags |= INTERNAL;
    if (helloTimeoutMs > 0) {
      // The timeout rides with the timer, not in a field: it is only needed if the timer fires.
      this.helloTimer = setTimeout(Session.helloTimeUp, helloTimeoutMs, this, helloTimeoutMs);
      this.helloTimer.unref?.();
    }
  }

  /** Whether the client announced a feature, e.g. hasFeature('callee', 'call_canceling'). */
  hasFeature(role: string, feature: string): boolean {
    const roleDetails = this.clientRoles[role];
    if (!isDict(roleDetails)) return false;
    const features = roleDetails.features;
    return isDict(features) && features[feature] === true;
  }

  // ---- SessionLink: called by the transport ----

  receive(decoded: unknown, bytes: number): void {
    if (this.state === 'closed') return;
    const meter = this.meter;
    if (meter !== undefined) meter.received(bytes);
    if (this.busy) {
      this.enqueue(decoded, bytes);
      return;
    }
    const pending = this.process(decoded, bytes);
    if (pending) this.waitThenDrain(pending);
  }

  receiveGarbage(reason: string): void {
    this.protocolViolation(reason);
  }

  detach(): void {
    if (this.state === 'closed') return;
    this.close('transport closed');
  }

  publishRefusal(topic: string, options: Dict): Promise<PublishRefusal | undefined> {
    if (this.state !== 'established' || !this.realm) return Promise.resolve({ error: ErrorUri.notAuthorized, text: 'the session has not joined a realm' });
    return this.realm.publishRefusal(this, topic, options);
  }

  // ---- sending ----

  send(message: WampMessage): void {
    this.sendEnvelope(new Envelope(message));
  }

  sendEnvelope(envelope: Envelope): void {
    if (this.state === 'closed' || this.forgotten?.drops(envelope.message)) return;
    const meter = this.meter;
    try {
      if (meter === undefined) {
        this.peer.send(envelope);
      } else {
        envelope.lastEncoded = undefined;
        this.peer.send(envelope);
        meter.sent(envelope, this.peer.frameHeaderBytes ?? 0);
      }
    } catch (error) {
      // Whatever a transport throws fails this message for this session only, never the fan-out
      // loop or the process; a transport's own failure is reported like an encoding failure.
      const failure = error instanceof EncodeError
        ? error
        : new EncodeError(describeType(envelope.message), this.peer.transport.serializer, error);
      this.notEncodable(envelope.message, failure);
    }
  }

  /** Only this session is affected, and every exchange still ends in an answer (router/undeliverable.ts). */
  private notEncodable(message: WampMessage, error: EncodeError): void {
    if ((this.flags & REPLACING) !== 0) {
      // The replacement failed too (the transport itself fails): replacing it again would never end.
      this.host.notEncodable(this, error, replacementFailed);
      this.close(replacementFailed);
      this.peer.close();
      return;
    }
    const plan = planForUndeliverable(message, error.reason, ErrorUri.unencodablePayload);
    this.host.notEncodable(this, error, plan.what);
    if (plan.forgetCall !== undefined) (this.forgotten ??= new ForgottenCalls()).add(plan.forgetCall);
    if (plan.instead) {
      this.setFlag(REPLACING, true);
      try {
        this.send(plan.instead);
      } finally {
        this.setFlag(REPLACING, false);
      }
    }
    if (plan.onBehalfOfClient) {
      const wire = plan.onBehalfOfClient;
      // Later, not from inside the router's own send: the dealer may be in the middle of routing.
      // Made up by the router itself, so not held to the client's queue limits.
      queueMicrotask(() => this.receive(wire, 0));
    }
    if (plan.close) {
      this.close(plan.what);
      this.peer.close();
    }
  }

  /** ERROR reply to a request, with a human-readable message as the first argument. */
  sendError(requestType: number, request: number, error: string, message?: string, kwargs?: Dict): void {
    this.send({
      type: MessageType.ERROR, requestType, request, details: {}, error,
      args: message === undefined ? undefined : [message], kwargs,
    });
  }

  /** Sends ABORT and closes. */
  abort(reason: string, message: string): void {
    if (this.state === 'closed') return;
    this.send({ type: MessageType.ABORT, details: { message }, reason });
    this.close(reason);
    this.peer.close();
  }

  /**
   * Router-initiated GOODBYE (shutdown, kill, a reload): the session closes when the client answers
   * or its transport goes. With `answerWithinMs`, a client that has not answered by then is disconnected.
   */
  goodbye(reason: string, message?: string, answerWithinMs?: number): void {
    if (this.state !== 'established') {
      this.abort(reason, message ?? 'the router closed the session');
      return;
    }
    // The state changes first: an in-process peer may answer before send() returns.
    this.state = 'shutting_down';
    this.send({ type: MessageType.GOODBYE, details: message === undefined ? {} : { message }, reason });
    if (answerWithinMs === undefined) return;
    setTimeout(() => {
      if (this.state === 'closed') return;
      this.log.warn({ session: this.id, waitedMs: answerWithinMs }, 'GOODBYE not answered in time; disconnecting');
      this.disconnect('GOODBYE not answered');
    }, answerWithinMs).unref?.();
  }

  /** Ends the session at once (it leaves its realm now) and closes its connection. */
  disconnect(why: string): void {
    this.close(why);
    this.peer.close();
  }

  // ---- processing ----

  private enqueue(decoded: unknown, bytes: number): void {
    const queue = (this.queue ??= new InboundQueue(this.host.queueMeter));
    queue.push(decoded, bytes);
    const limits = this.queueLimits;
    if (!this.limited || this.paused || limits === undefined || !queue.exceeds(limits)) return;
    const queued = { messages: queue.length, bytes: queue.bytes };
    if (this.peer.pauseReading) {
      this.paused = true;
      this.peer.pauseReading();
      this.host.queueOverflow(this, 'paused', queued);
      return;
    }
    this.host.queueOverflow(this, 'aborted', queued);
    this.abort(ErrorUri.limitExceeded, queueOverflowMessage(limits, queued));
  }

  /**
   * Resumes the transport later, not from inside the drain: a peer may deliver at once (SSE's own
   * SUBSCRIBEs), and those must queue behind what is still waiting. A pause in between cancels it.
   */
  private resumeAfterDrain(): void {
    this.paused = false;
    queueMicrotask(() => {
      if (!this.paused) this.peer.resumeReading?.();
    });
  }

  private waitThenDrain(pending: Promise<void>): void {
    this.busy = true;
    pending
      .catch((error: unknown) => {
        this.log.error({ session: this.id, err: error }, 'internal error while handling a message');
        this.abort(ErrorUri.protocolViolation, 'internal error');
      })
      .finally(() => {
        this.busy = false;
        const queue = this.queue;
        if (!queue) return;
        while (queue.length > 0 && !this.busy && this.state !== 'closed') {
          const next = this.process(queue.shift());
          if (this.paused && queue.hasRoom(this.queueLimits!)) this.resumeAfterDrain();
          if (next) this.waitThenDrain(next);
        }
        if (queue.length === 0 && this.queue === queue) this.queue = undefined;
      });
  }

  /** `bytes`: the message's size as received, for a HELLO's meter (0 for one that waited in the queue). */
  private process(decoded: unknown, bytes = 0): Promise<void> | void {
    const parsed = parseMessage(decoded);
    if (!parsed.ok) return this.protocolViolation(parsed.error);
    const message = parsed.message;
    switch (this.state) {
      case 'awaiting_hello':
        if (message.type === MessageType.HELLO) return this.hello(message, bytes);
        if (message.type === MessageType.ABORT) return this.clientAborted();
        return this.protocolViolation(`${describeType(message)} received before HELLO`);
      case 'authenticating':
        if (message.type === MessageType.AUTHENTICATE) return this.authenticate(message);
        if (message.type === MessageType.ABORT) return this.clientAborted();
        return this.protocolViolation(`${describeType(message)} received while waiting for AUTHENTICATE`);
      case 'established':
      case 'shutting_down':
        return this.established(message);
      case 'closed':
        return;
    }
  }

  private established(message: WampMessage): Promise<void> | void {
    if (message.type === MessageType.GOODBYE) {
      if (this.state === 'established') this.auth.left?.(this.peer.transport, message.reason);
      // In a cluster the client's GOODBYE is answered once its procedures are free on every node
      // (a REGISTER anywhere after it succeeds); what it sends meanwhile waits, as after a REGISTER.
      const releasing = this.state === 'established' ? this.realm!.releaseBeforeGoodbye(this) : undefined;
      if (releasing) return releasing.then(() => this.clientGoodbye());
      return this.clientGoodbye();
    }
    if (message.type === MessageType.ABORT) return this.clientAborted();
    if (message.type === MessageType.HELLO) return this.protocolViolation('HELLO received on an established session');
    if (!clientRequests.has(message.type)) {
      return this.protocolViolation(`${describeType(message)} is not a message a client may send to a router`);
    }
    if (message.type === MessageType.ERROR && message.requestType !== MessageType.INVOCATION) {
      return this.protocolViolation(`ERROR from a client must answer an INVOCATION (request type 68), got request type ${message.requestType}`);
    }
    return this.realm!.handle(this, message);
  }

  /** The client's GOODBYE. Established: the client leaves and may start anew; shutting down: it answers the router's. */
  private clientGoodbye(): void {
    if (this.state === 'closed') return; // closed while its procedures were being released
    const clientLeaves = this.state === 'established';
    // Answered with Crossbar's reason (Autobahn's default), which Crossbar's example clients check for.
    if (clientLeaves) this.send({ type: MessageType.GOODBYE, details: {}, reason: ErrorUri.closeNormal });
    const pipelined = this.queue?.clear() ?? [];
    this.close('goodbye');
    if (clientLeaves && this.series) this.series.afterGoodbye(pipelined);
    else this.peer.close();
  }

  private async hello(message: Hello, bytes: number): Promise<void> {
    if (!isDict(message.details.roles)) {
      return this.protocolViolation('HELLO.Details.roles must be a dict announcing the client roles');
    }
    const asked = message.realm;
    const realm = asked === null ? undefined : this.host.realm(asked);
    if (realm) {
      this.queueLimits = realm.limits;
      // Counting starts with HELLO, as Crossbar's serializer counts from the connection's first message.
      this.meter = this.meterIn(realm);
      this.meter?.received(bytes);
    } else {
      // HELLO can only be answered with ABORT; the spec's reason for a bad URI is invalid_uri.
      const problem = asked === null ? undefined : uriProblem(asked, { strict: false });
      if (asked !== null && problem !== undefined) {
        this.host.helloRealmRefused(uriProblemKind(asked));
        return this.abort(ErrorUri.invalidUri, `HELLO realm: ${problem}`);
      }
      // As Crossbar, a realm the router lacks (or none) is refused after sign-in, not before: a
      // principal's or an authenticator's `realm` may place the session (join() checks the realm).
      this.queueLimits = this.host.signInQueueLimits();
      if (this.queueLimits === undefined) return this.abort(ErrorUri.noSuchRealm, noSuchRealmMessage(asked));
    }
    this.clientRoles = sharedRoles(message.details.roles);
    this.realmName = asked ?? '';
    this.id = this.host.newSessionId(asked);
    this.state = 'authenticating';
    const outcome = await this.auth.hello({
      realm: asked,
      details: message.details,
      transport: this.peer.transport,
      sessionId: this.id,
    });
    this.settle(outcome);
  }

  private async authenticate(message: Authenticate): Promise<void> {
    const challenge = this.challenge;
    if (!challenge) return this.protocolViolation('AUTHENTICATE received but no CHALLENGE was sent');
    this.challenge = undefined;
    this.settle(await challenge.verify(message));
  }

  private settle(outcome: AuthOutcome): void {
    if (this.state === 'closed') return;
    switch (outcome.kind) {
      case 'welcome':
        return this.join(outcome.identity);
      case 'challenge':
        this.challenge = outcome;
        this.send({ type: MessageType.CHALLENGE, authMethod: outcome.authMethod, extra: outcome.extra });
        return;
      case 'deny':
        this.log.warn({ realm: clipped(this.realmName), reason: outcome.reason }, 'authentication refused');
        this.abort(outcome.reason, outcome.message);
        return;
    }
  }

  private join(identity: Identity): void {
    const realmName = identity.realm ?? this.realmName;
    const realm = this.host.realm(realmName);
    if (!realm) {
      this.abort(ErrorUri.noSuchRealm, noSuchRealmMessage(realmName === '' ? null : realmName));
      return;
    }
    this.clearHelloTimer();
    // An authenticator may place the session in another realm than HELLO named: that realm meters it.
    if (realmName !== this.realmName) this.meter = this.meterIn(realm);
    this.realmName = realmName;
    this.realm = realm;
    this.queueLimits = realm.limits;
    this.facts = {
      session: this.id, realm: realmName, authid: identity.authid, authrole: identity.authrole,
      authmethod: identity.authmethod, authprovider: identity.authprovider, authextra: identity.authextra,
    };
    const details: Dict = {
      realm: realmName,
      authid: identity.authid,
      authrole: identity.authrole,
      authmethod: identity.authmethod,
      authprovider: identity.authprovider,
      roles: realm.roles,
    };
    if (identity.authextra) details.authextra = identity.authextra;
    if (this.host.nodeId !== undefined) details.x_junction_node = this.host.nodeId;
    this.state = 'established';
    this.send({ type: MessageType.WELCOME, session: this.id, details });
    realm.join(this);
  }

  /** A meter when `realm` has session statistics; the router's own sessions are not metered. */
  private meterIn(realm: SessionRealm): SessionMeter<Session> | undefined {
    return realm.stats && !this.trusted ? realm.stats.meterFor(this) : undefined;
  }

  protocolViolation(reason: string): void {
    this.host.protocolViolation(this, reason);
    this.abort(ErrorUri.protocolViolation, reason);
  }

  /** In every state, the client's ABORT ends the session and the connection: nothing is left open without a HELLO timer. */
  private clientAborted(): void {
    this.close('client aborted');
    this.peer.close();
  }

  private setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  private static helloTimeUp(this: void, session: Session, timeoutMs: number): void {
    session.helloTimedOut(timeoutMs);
  }

  private helloTimedOut(timeoutMs: number): void {
    if (this.state !== 'awaiting_hello' && this.state !== 'authenticating') return;
    if (this.followsGoodbye && this.state === 'awaiting_hello') {
      // Not a violation: a client done with the connection after GOODBYE, waiting for us to close it.
      this.log.debug({ timeoutMs }, 'no new HELLO after GOODBYE; closing the connection');
      this.close('no new HELLO after GOODBYE');
      this.peer.close();
      return;
    }
    this.log.warn({ timeoutMs }, 'session did not complete HELLO in time; dropping it');
    this.abort(ErrorUri.protocolViolation, `no HELLO/AUTHENTICATE within ${timeoutMs} ms`);
  }

  private clearHelloTimer(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
  }

  private close(why: string): void {
    if (this.state === 'closed') return;
    const wasJoined = this.realm !== undefined && (this.state === 'established' || this.state === 'shutting_down');
    this.state = 'closed';
    this.clearHelloTimer();
    this.queue?.clear();
    // Let the transport read again, now (a next session on the connection starts unpaused): the
    // client's answer to our ABORT or GOODBYE (its close frame) must get through.
    if (this.paused) {
      this.paused = false;
      this.peer.resumeReading?.();
    }
    if (wasJoined) this.realm!.leave(this);
    this.log.debug({ why }, 'session closed');
    this.host.sessionClosed(this);
  }
}

function describeType(message: WampMessage): string {
  return messageTypeName(message.type) ?? `message type ${message.type}`;
}
