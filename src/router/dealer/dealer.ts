import { MessageType } from '../../protocol/codes.js';
import { ErrorUri } from '../../protocol/errors.js';
import { clusterIds, randomIds, type IdMaker } from '../cluster-ids.js';
import type { Call, Cancel, Dict, ErrorMessage, Yield } from '../../protocol/messages.js';
import { PatternTable } from '../match/pattern-table.js';
import type { Pattern } from '../match/precedence.js';
import { readCancelMode, readYieldProgress, type CallOptions, type CancelMode, type RegisterOptions } from '../options.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import type { RealmEvents } from '../realm-events.js';
import type { BoundCounter, BoundHistogram } from '../../metrics/registry.js';
import type { RouterMetrics } from '../router-metrics.js';
import { withPassthruDetails } from '../passthru.js';
import { addForwardDetails } from '../forward-for.js';
import type { Session, SessionOrigin } from '../session.js';
import { LimitRefusals } from '../limits/limit-refusals.js';
import { underLimit } from '../limits/session-limits.js';
import type { ClusterCalls } from './cluster-calls.js';
import { InvocationTable, type PendingCall } from './invocation-table.js';
import { isRanked, pickCallee, type Registration } from './registration.js';
import { callBytes, CallQueues, type CallQueueSetting, type QueuedCall } from './call-queue.js';

/** Timers and time are injected so that tests of timeouts and rates need no waiting. */
export interface Clock {
  setTimeout(callback: () => void, ms: number): ReturnType<typeof setTimeout>;
  /** Milliseconds from an arbitrary origin; never goes backwards. */
  now(): number;
}
export const realClock: Clock = {
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    timer.unref?.();
    return timer;
  },
  now: () => performance.now(),
};

/** Whether a callee handles INTERRUPT (the spec spells the feature both ways). */
function canCancel(callee: Session): boolean {
  return callee.hasFeature('callee', 'call_canceling') || callee.hasFeature('callee', 'call_cancelling');
}

/** A callee takes progressive call invocations only if it announced them and call canceling (the spec's rule). */
function takesProgressiveInvocations(callee: Session): boolean {
  return callee.hasFeature('callee', 'progressive_call_invocations') && canCancel(callee);
}

function requestIdInUse(caller: Session, message: Call): void {
  caller.protocolViolation(`CALL request ID ${message.request} is already in use by a call in flight`);
}

/** What one (non-trusted) session may hold in the dealer; 0 = no limit. */
export interface DealerLimits {
  maxRegistrationsPerSession: number;
  maxCallsInFlightPerSession: number;
}

const noDealerLimits: DealerLimits = { maxRegistrationsPerSession: 0, maxCallsInFlightPerSession: 0 };

/**
 * Routed RPC for one realm: registrations, and every call in flight until it ends in exactly
 * one RESULT or ERROR for the caller — whatever the callee, the caller or the clock does — or,
 * canceled in mode `skip`, in nothing (the caller has given up on it, as on Crossbar).
 * Per-session limits are counted from the indexes themselves (a session's registration set, its
 * calls by request ID), so every way a registration or call ends frees its place exactly once.
 */
export class Dealer {
  private readonly table = new PatternTable<Registration>();
  private readonly byId = new Map<number, Registration>();
  private readonly bySession = new Map<Session, Set<Registration>>();
  private readonly calls = new InvocationTable();
  private readonly queues: CallQueues;
  /** Set when the router is one node of a cluster. */
  private remote: ClusterCalls | undefined;
  private newId: IdMaker = randomIds;

  /** By the caller's origin. */
  private readonly callCounters: Record<SessionOrigin, BoundCounter>;
  private readonly callDuration: BoundHistogram;
  private readonly limitRefusals: LimitRefusals;

  constructor(
    realmName: string,
    metrics: RouterMetrics,
    private readonly events: RealmEvents,
    private readonly clock: Clock = realClock,
    private readonly limits: DealerLimits = noDealerLimits,
    callQueues: readonly CallQueueSetting[] = [],
  ) {
    this.queues = new CallQueues(callQueues, metrics, realmName);
    this.callCounters = { client: metrics.calls.bind({ realm: realmName, origin: 'client' }), internal: metrics.calls.bind({ realm: realmName, origin: 'internal' }) };
    this.callDuration = metrics.callDuration.bind({ realm: realmName });
    this.limitRefusals = new LimitRefusals(metrics.sessionLimitRefused, realmName, () => clock.now());
  }

  /** Makes this dealer one of a cluster's: clients' registrations are claimed cluster-wide, calls cross nodes. */
  joinCluster(remote: ClusterCalls, realmName: string): void {
    this.remote = remote;
    this.newId = clusterIds(realmName);
  }

  register(session: Session, request: number, procedure: string, options: RegisterOptions): Promise<void> | void {
    if (options.forceReregister) {
      const held = this.table.get(procedure, options.match);
      // The router's own procedures (the console's junction.*, a forwarder's) are no client's to take over.
      if (held && !session.trusted && held.callees.some((callee) => callee.trusted)) {
        session.sendError(MessageType.REGISTER, request, ErrorUri.procedureAlreadyExists,
          `"${procedure}" (match "${options.match}") is the router's own: force_reregister cannot take it`);
        return;
      }
      if (held) {
        // As in Crossbar: every callee loses the procedure (told by revocation), then it is registered afresh.
        const released = Promise.all(held.callees.slice().map((callee) => this.revoke(held, callee, ErrorUri.unregistered)));
        const again = { ...options, forceReregister: false };
        if (!held.clustered) return this.register(session, request, procedure, again);
        return released.then(() => (session.state === 'closed' ? undefined : this.register(session, request, procedure, again)));
      }
    }
    const remote = this.remote;
    // A client's new registration is claimed across the cluster first (single is unique cluster-wide).
    // The router's own and bridge sessions (every node runs the same ones) register on their node only.
    // A further callee of a first/last registration claims too: its ticket is its place in the cluster's order.
    const existing = this.table.get(procedure, options.match);
    if (!remote || !session.limited || (existing && !(existing.clustered && isRanked(existing.invoke)))) {
      return this.registerHere(session, request, procedure, options);
    }
    return remote.claim(procedure, options.match, options.invoke).then((answer) => {
      if (!answer.ok) {
        if (session.state === 'closed') return;
        if ('unanswered' in answer) return session.sendError(MessageType.REGISTER, request, ErrorUri.clusterTimeout, answer.unanswered);
        const uri = answer.heldAs === options.invoke || answer.heldAs === 'single' ? ErrorUri.procedureAlreadyExists : ErrorUri.procedureExistsWithDifferentInvocationPolicy;
        session.sendError(MessageType.REGISTER, request, uri,
          `"${procedure}" (match "${options.match}") is registered on another router node with invocation policy "${answer.heldAs}"`);
        return;
      }
      if (session.state !== 'closed') this.registerHere(session, request, procedure, options, true, answer.ticket);
      // Nothing was registered after all (refused by a limit, or the session left meanwhile): give the claim back.
      if (!this.table.get(procedure, options.match)) return remote.release(procedure, options.match);
    });
  }

  private registerHere(session: Session, request: number, procedure: string, options: RegisterOptions, clustered = false,
    ticket?: number): void {
    const existing = this.table.get(procedure, options.match);
    let registration = existing;
    if (registration) {
      // A single registration is refused as taken whatever the policy asked for (as Crossbar does).
      if (registration.invoke !== options.invoke && registration.invoke !== 'single') {
        session.sendError(MessageType.REGISTER, request, ErrorUri.procedureExistsWithDifferentInvocationPolicy,
          `"${procedure}" is registered with invocation policy "${registration.invoke}", not "${options.invoke}"`);
        return;
      }
      if (registration.invoke === 'single' || registration.callees.includes(session)) {
        session.sendError(MessageType.REGISTER, request, ErrorUri.procedureAlreadyExists,
          `a procedure is already registered under "${procedure}" (match "${options.match}")`);
        return;
      }
    }
    const max = this.limits.maxRegistrationsPerSession;
    if (session.limited && !underLimit(this.bySession.get(session)?.size ?? 0, max)) {
      session.sendError(MessageType.REGISTER, request, ErrorUri.limitExceeded, this.limitRefusals.refuse(session.log, 'max_registrations_per_session', max));
      return;
    }
    if (!registration) {
      registration = {
        id: this.newId(procedure, options.match, (taken) => this.byId.has(taken)), uri: procedure, match: options.match, invoke: options.invoke,
        created: new Date().toISOString(), callees: [], next: 0,
        // Only the router's own services may learn every caller's identity unasked.
        discloseCaller: options.discloseCaller && session.trusted,
        clustered,
        tickets: clustered ? new Map() : undefined,
      };
      this.table.set(procedure, options.match, registration);
      this.byId.set(registration.id, registration);
    }
    registration.callees.push(session);
    if (ticket !== undefined) registration.tickets?.set(session, ticket);
    if (options.concurrency > 0) (registration.slots ??= new Map()).set(session, { limit: options.concurrency, busy: 0 });
    if (registration.clustered) this.remote?.summarize(registration);
    let mine = this.bySession.get(session);
    if (!mine) this.bySession.set(session, (mine = new Set()));
    mine.add(registration);
    session.send({ type: MessageType.REGISTERED, request, registration: registration.id });
    if (!existing) this.events.emit('registrationCreated', session, registration);
    this.events.emit('registered', session, registration);
    this.drain(registration);
  }

  // ---- the meta API's view ----

  registration(id: number): Registration | undefined {
    return this.byId.get(id);
  }

  registrations(): IterableIterator<Registration> {
    return this.byId.values();
  }

  registrationsOf(session: Session): ReadonlySet<Registration> {
    return this.bySession.get(session) ?? new Set();
  }

  /** The registration a REGISTER with this procedure and match policy would join. */
  lookup(procedure: string, match: MatchPolicy): Registration | undefined {
    return this.table.get(procedure, match);
  }

  /** The registration a CALL to `procedure` is routed to. */
  match(procedure: string): Registration | undefined {
    return this.table.best(procedure);
  }

  /**
   * In a cluster, UNREGISTERED (and the meta events) wait until the cluster has taken the release
   * of a claim: a REGISTER on any node after them succeeds. Meanwhile this node no longer routes
   * calls to the registration, and the session's further messages wait their turn (as after a REGISTER).
   */
  unregister(session: Session, request: number, registrationId: number): Promise<void> | void {
    const registration = this.byId.get(registrationId);
    if (!registration || !registration.callees.includes(session)) {
      session.sendError(MessageType.UNREGISTER, request, ErrorUri.noSuchRegistration,
        `this session has no registration ${registrationId}`);
      return;
    }
    const { deleted, released } = this.removeCallee(registration, session);
    this.bySession.get(session)?.delete(registration);
    const answer = (): void => {
      session.send({ type: MessageType.UNREGISTERED, request }); // dropped if the session closed meanwhile
      this.announceRemoval(session, registration, deleted);
    };
    if (released) return released.then(answer);
    answer();
  }

  /**
   * Takes a callee off a registration unasked (force_reregister, wamp.registration.remove_callee).
   * The callee is told with UNREGISTERED(0, {registration, reason}) if it announced
   * registration_revocation (the spec forbids it otherwise); its calls in flight still end normally.
   * In a cluster, the returned promise resolves once the cluster has taken the release of the claim.
   */
  revoke(registration: Registration, callee: Session, reason: string | undefined): Promise<void> | void {
    if (!registration.callees.includes(callee)) return;
    this.bySession.get(callee)?.delete(registration);
    const { deleted, released } = this.removeCallee(registration, callee);
    if (callee.hasFeature('callee', 'registration_revocation')) {
      const details: Dict = { registration: registration.id };
      if (reason !== undefined) details.reason = reason;
      callee.send({ type: MessageType.UNREGISTERED, request: 0, details });
    }
    if (released) return released.then(() => this.announceRemoval(callee, registration, deleted));
    this.announceRemoval(callee, registration, deleted);
  }

  /**
   * `chosen`: for a call another node sent here, the registration it chose (the cluster's best
   * match); the call goes to exactly that one, and to no other node.
   */
  call(caller: Session, message: Call, options: CallOptions, disclose: boolean, chosen?: Pattern): void {
    const ongoing = this.calls.fromCaller(caller, message.request);
    if (ongoing) return this.continueCall(ongoing, message, options);
    if (this.queues.fromCaller(caller, message.request)) return requestIdInUse(caller, message);
    if (this.remote?.continueCall(caller, message)) return;
    if (this.calls.isAbandoned(caller, message.request)) {
      // A chunk of a progressive call that has already ended: the caller got its ERROR then.
      if (!options.progress) this.calls.forgetAbandoned(caller, message.request);
      return;
    }
    const maxCalls = this.limits.maxCallsInFlightPerSession;
    if (caller.limited && !underLimit(this.callsWaitingOf(caller), maxCalls)) {
      return this.refuseCall(caller, message, options, ErrorUri.limitExceeded, this.limitRefusals.refuse(caller.log, 'max_calls_in_flight_per_session', maxCalls));
    }
    const registration = chosen ? this.table.get(chosen.uri, chosen.match) : this.table.best(message.procedure);
    const remote = chosen ? undefined : this.remote;
    if (!registration) {
      if (remote?.forward(caller, message, disclose)) return;
      return this.refuseCall(caller, message, options, ErrorUri.noSuchProcedure, chosen
        ? `"${chosen.uri}" (match "${chosen.match}") is no longer registered on the router node the call was sent to`
        : `no callee has registered "${message.procedure}"`);
    }
    // In a cluster, another node may hold a better match than this node's pattern (an exact one can only be beaten by itself).
    if (remote && registration.match !== 'exact' && remote.forward(caller, message, disclose, registration)) return;
    // A shared registration in a cluster follows its policy over every node's callees: the pick may be another node's.
    if (registration.clustered && remote?.forwardShared(caller, message, disclose, registration)) return;
    const callee = pickCallee(registration);
    if (!callee) return this.queueOrRefuse(caller, message, options, disclose, registration);
    this.route(caller, message, options, disclose, registration, callee, options.timeout);
  }

  /**
   * A CALL whose callees are all busy waits in its call queue, if the realm has one for it (not a
   * progressive call invocation: its chunks would have to wait with it); otherwise, or when the
   * queue is full, it is refused as Crossbar refuses it without a queue.
   */
  private queueOrRefuse(caller: Session, message: Call, options: CallOptions, disclose: boolean, registration: Registration): void {
    const busy = `every callee of "${message.procedure}" that the "${registration.invoke}" policy may pick is at its concurrency limit`;
    const line = options.progress ? undefined : this.queues.lineFor(message.procedure);
    if (!line) return this.refuseCall(caller, message, options, ErrorUri.maxConcurrencyReached, busy);
    const { setting } = line;
    const queued: QueuedCall = {
      caller, message, options, disclose, registration, arrivedAt: this.clock.now(), line, bytes: callBytes(message, setting.limitBytes),
    };
    const full = this.queues.add(queued);
    if (full) {
      const limit = full === 'limit' ? `limit ${setting.limit} calls` : `limit_bytes ${setting.limitBytes}`;
      return this.refuseCall(caller, message, options, ErrorUri.maxConcurrencyReached,
        `${busy}, and its call queue ("${setting.uri}", match "${setting.match}") is full (${limit})`);
    }
    if (options.timeout > 0) queued.timer = this.clock.setTimeout(() => this.expired(queued), options.timeout);
  }

  private expired(queued: QueuedCall): void {
    queued.timer = undefined;
    if (!this.queues.remove(queued, 'expired')) return; // a clock whose timers cannot be cleared
    queued.caller.sendError(MessageType.CALL, queued.message.request, ErrorUri.timeout,
      `"${queued.message.procedure}" waited in the call queue for a free callee longer than the call's timeout`);
  }

  /** Hands queued calls, oldest first, to the registration's callees while one is under its limit. */
  private drain(registration: Registration): void {
    for (let queued = this.queues.next(registration); queued; queued = this.queues.next(registration)) {
      const callee = pickCallee(registration);
      if (!callee) return;
      this.queues.remove(queued, 'drained');
      // What is left of the timeout once it has waited (the queue's timer fires before nothing is left).
      const timeout = queued.options.timeout > 0 ? Math.max(1, queued.options.timeout - (this.clock.now() - queued.arrivedAt)) : 0;
      this.route(queued.caller, queued.message, queued.options, queued.disclose, registration, callee, timeout);
    }
  }

  /** Sends a CALL to the callee picked for it; `timeout` (ms, 0 = none) is what the call has left. */
  private route(caller: Session, message: Call, options: CallOptions, disclose: boolean, registration: Registration,
    callee: Session, timeout: number): void {
    if (options.progress && !takesProgressiveInvocations(callee)) {
      return this.refuseCall(caller, message, options, ErrorUri.featureNotSupported,
        `the callee of "${message.procedure}" does not support progressive call invocations`);
    }
    const receiveProgress = options.receiveProgress && callee.hasFeature('callee', 'progressive_call_results');
    const details: Dict = {};
    // With a pattern the callee cannot know which procedure was called: the spec says to tell it.
    if (registration.match !== 'exact') details.procedure = message.procedure;
    if (receiveProgress) details.receive_progress = true;
    if (timeout > 0) details.timeout = timeout;
    if (disclose || registration.discloseCaller) {
      details.caller = caller.id;
      details.caller_authid = caller.authid;
      details.caller_authrole = caller.authrole;
    }
    if (options.forwardFor) addForwardDetails(details, options.forwardFor, caller, 'caller', disclose || registration.discloseCaller);
    const call: PendingCall = {
      caller, callerRequest: message.request, callee, invocationRequest: callee.requestIds.nextId(),
      registration, receiveProgress, invocationDetails: withPassthruDetails(message.options, details),
      callerStreaming: options.progress, startedAt: this.clock.now(), killed: false, slots: registration.slots?.get(callee),
    };
    this.calls.add(call);
    if (timeout > 0) call.timer = this.clock.setTimeout(() => this.timedOut(call), timeout);
    this.callCounters[caller.origin].inc();
    this.invoke(call, message, options.progress);
  }

  /** YIELD from a callee: a progressive or final result for the caller. */
  yield(callee: Session, message: Yield): void {
    const call = this.calls.fromCallee(callee, message.request);
    if (!call) {
      callee.log.debug({ request: message.request }, 'YIELD for no call in flight (finished, canceled or timed out); ignored');
      return;
    }
    const progress = readYieldProgress(message.options);
    if (progress && !call.receiveProgress) return; // the caller did not ask for progress: only the final result goes to it
    if (!progress) this.finish(call);
    call.caller.send({
      type: MessageType.RESULT, request: call.callerRequest,
      details: withPassthruDetails(message.options, progress ? { progress: true } : {}),
      args: message.args, kwargs: message.kwargs, payload: message.payload,
    });
  }

  /** ERROR from a callee answering an INVOCATION. */
  calleeError(callee: Session, message: ErrorMessage): void {
    const call = this.calls.fromCallee(callee, message.request);
    if (!call) {
      callee.log.debug({ request: message.request }, 'ERROR for no call in flight; ignored');
      return;
    }
    this.finish(call);
    call.caller.send({
      type: MessageType.ERROR, requestType: MessageType.CALL, request: call.callerRequest, details: message.details,
      error: message.error, args: message.args, kwargs: message.kwargs, payload: message.payload,
    });
  }

  /**
   * As Crossbar does (docs/crossbar-behaviour.md): `skip` (asked, or forced because the callee
   * cannot be interrupted) ends the call with nothing for the caller, which has already given up
   * on it (AutobahnJS takes an ERROR for it as a protocol violation); `killnowait` interrupts the
   * callee and answers the caller at once; `kill` interrupts and passes on the callee's answer.
   * Once ended here, the callee's late answer is dropped.
   */
  cancel(caller: Session, message: Cancel): void {
    const call = this.calls.fromCaller(caller, message.request);
    const queued = call ? undefined : this.queues.fromCaller(caller, message.request);
    if (queued) return this.cancelQueued(queued, readCancelMode(message.options));
    // Not here: in flight on another node, or already finished (nothing to cancel, as the spec allows).
    if (!call) return this.remote?.cancel(caller, message);
    let mode: CancelMode = readCancelMode(message.options);
    if (call.killed) return; // already canceled, the callee's answer is awaited (Crossbar ignores it too)
    if (!canCancel(call.callee)) mode = 'skip';
    if (mode === 'skip') return this.endQuietly(call);
    this.interrupt(call, mode);
    if (mode === 'kill') {
      call.killed = true; // the caller's ERROR comes with the callee's answer
      return;
    }
    this.endWithError(call, ErrorUri.canceled, `the call was canceled (mode "${mode}")`);
  }

  /** No callee has seen a queued call: it ends at once, with nothing for the caller in mode `skip` (as a call in flight). */
  private cancelQueued(queued: QueuedCall, mode: CancelMode): void {
    this.queues.remove(queued, 'canceled');
    if (mode !== 'skip') {
      queued.caller.sendError(MessageType.CALL, queued.message.request, ErrorUri.canceled,
        `the call was canceled (mode "${mode}") while it waited in the call queue`);
    }
  }

  /**
   * A client said GOODBYE: in a cluster, the registrations it is the last callee of are removed
   * first, and the returned promise resolves once the cluster has taken the releases of their
   * claims (undefined when there are none: nothing was done). As for UNREGISTER, a REGISTER on
   * any node after the GOODBYE reply then succeeds. Its other registrations and calls end with
   * `leave`, as for any session that leaves.
   */
  releaseBeforeGoodbye(session: Session): Promise<void> | undefined {
    const mine = this.bySession.get(session);
    if (!this.remote || !mine) return undefined;
    const claimed = [...mine].filter((registration) => registration.clustered && registration.callees.length === 1 && registration.callees[0] === session);
    if (claimed.length === 0) return undefined;
    return Promise.all(claimed.map((registration) => {
      mine.delete(registration);
      const { deleted, released } = this.removeCallee(registration, session);
      return released?.then(() => this.announceRemoval(session, registration, deleted));
    })).then(() => {});
  }

  /** The calls this session made that wait for their answer: in flight, queued, or on another node. */
  callsWaitingOf(caller: Session): number {
    return this.calls.callsOf(caller) + this.queues.callsOf(caller) + (this.remote?.callsOf(caller) ?? 0);
  }

  /**
   * The router stops and `caller` gets its GOODBYE with calls still unanswered: each ends now
   * with wamp.error.canceled (its callee interrupted, if it can be), so that none hangs. Calls
   * in flight on another node of a cluster end when the caller leaves, as at any leaving.
   */
  cancelCallsOf(caller: Session, reason: string): void {
    for (const call of this.calls.callsFrom(caller)) {
      if (canCancel(call.callee)) this.interrupt(call, 'killnowait');
      this.endWithError(call, ErrorUri.canceled, reason);
    }
    for (const queued of this.queues.callsFrom(caller)) {
      this.queues.remove(queued, 'canceled');
      caller.sendError(MessageType.CALL, queued.message.request, ErrorUri.canceled, reason);
    }
  }

  /** Cleans up after a session that left: its registrations and every call it was part of. */
  leave(session: Session): void {
    this.queues.dropCallerCalls(session); // first: none of them may go to a callee as its registrations are removed
    const mine = this.bySession.get(session);
    this.bySession.delete(session);
    const removed = [...(mine ?? [])].map((registration) => [registration, this.removeCallee(registration, session).deleted] as const);
    for (const call of this.calls.takeCalleeCalls(session)) {
      call.caller.sendError(MessageType.CALL, call.callerRequest, ErrorUri.canceled,
        'the callee left before answering the call');
    }
    const freed = new Set<Registration>();
    for (const call of this.calls.takeCallerCalls(session)) {
      if (canCancel(call.callee)) this.interrupt(call, 'killnowait');
      freed.add(call.registration);
    }
    this.remote?.leave(session);
    for (const [registration, deleted] of removed) this.announceRemoval(session, registration, deleted);
    // The callees of its calls have a free place again.
    for (const registration of freed) this.drain(registration);
  }

  registrationCount(): number {
    return this.byId.size;
  }

  callsInFlight(): number {
    return this.calls.size;
  }

  /** Sessions the pending-call tables still hold entries for (tests check that nothing outlives its sessions). */
  pendingFootprint(): { callees: number; callers: number; abandoned: number } {
    return this.calls.footprint();
  }

  /**
   * A further CALL under the request ID of a call in flight: the next chunk of a progressive call
   * invocation, sent to the same callee under the same INVOCATION request ID with the details of the
   * first CALL (the spec freezes every option but `progress`).
   */
  private continueCall(call: PendingCall, message: Call, options: CallOptions): void {
    if (!call.callerStreaming) return requestIdInUse(call.caller, message);
    call.callerStreaming = options.progress;
    this.invoke(call, message, options.progress);
  }

  private invoke(call: PendingCall, message: Call, progress: boolean): void {
    call.callee.send({
      type: MessageType.INVOCATION, request: call.invocationRequest, registration: call.registration.id,
      details: progress ? { ...call.invocationDetails, progress: true } : call.invocationDetails,
      args: message.args, kwargs: message.kwargs, payload: message.payload,
    });
  }

  /** Refuses a CALL before any callee saw it; further chunks of a refused progressive call are dropped. */
  private refuseCall(caller: Session, message: Call, options: CallOptions, uri: string, text: string): void {
    caller.sendError(MessageType.CALL, message.request, uri, text);
    if (options.progress) this.calls.abandon(caller, message.request);
  }

  private timedOut(call: PendingCall): void {
    call.timer = undefined;
    if (canCancel(call.callee)) this.interrupt(call, 'killnowait');
    this.endWithError(call, ErrorUri.timeout, `"${call.registration.uri}" did not answer within the call's timeout`);
  }

  private interrupt(call: PendingCall, mode: CancelMode): void {
    call.callee.send({ type: MessageType.INTERRUPT, request: call.invocationRequest, options: { mode } });
  }

  /** Forgets a call that got its final RESULT or ERROR (or ended with nothing for the caller), and times it. */
  private finish(call: PendingCall): void {
    this.calls.remove(call);
    this.callDuration.observe((this.clock.now() - call.startedAt) / 1000);
    this.drain(call.registration);
  }

  /** Ends a call with an ERROR for the caller now; a late answer from the callee is then ignored. */
  private endWithError(call: PendingCall, uri: string, message: string): void {
    this.finish(call);
    call.caller.sendError(MessageType.CALL, call.callerRequest, uri, message);
  }

  /** Ends a call with nothing for the caller (CANCEL `skip`); a late answer from the callee is then ignored. */
  private endQuietly(call: PendingCall): void {
    this.finish(call);
    // A caller on another node is tracked there until its call ends: say that it did.
    this.remote?.endedQuietly(call.caller, call.callerRequest);
  }

  /**
   * `deleted`: the registration is gone with its last callee; `released`, in a cluster, resolves
   * once the cluster has taken the release of its claim.
   */
  private removeCallee(registration: Registration, session: Session): { deleted: boolean; released?: Promise<void> } {
    const index = registration.callees.indexOf(session);
    if (index >= 0) registration.callees.splice(index, 1);
    registration.tickets?.delete(session);
    registration.slots?.delete(session);
    if (registration.callees.length > 0) {
      if (registration.clustered) this.remote?.summarize(registration);
      this.drain(registration); // the invocation policy may now pick a callee that is free
      return { deleted: false };
    }
    this.byId.delete(registration.id);
    this.table.delete(registration.uri, registration.match);
    for (const queued of this.queues.takeRegistrationCalls(registration)) {
      queued.caller.sendError(MessageType.CALL, queued.message.request, ErrorUri.noSuchProcedure,
        `the last callee of "${registration.uri}" went away while the call waited in the call queue`);
    }
    return { deleted: true, released: registration.clustered ? this.remote?.release(registration.uri, registration.match) : undefined };
  }

  private announceRemoval(session: Session, registration: Registration, deleted: boolean): void {
    this.events.emit('unregistered', session, registration);
    if (deleted) this.events.emit('registrationDeleted', session, registration);
  }
}
