import { MessageType } from '../protocol/codes.js';
import { ErrorUri } from '../protocol/errors.js';
import type { Call, Cancel } from '../protocol/messages.js';
import type { MatchPolicy } from '../protocol/uri.js';
import type { Backplane, CallerFacts, CallTraffic, ClaimAnswer, CalleeCount, Interest } from './backplane.js';
import { nodeForCall, rankOf } from './backplane-picks.js';
import { outranks } from './match/precedence.js';
import type { ClusterCalls } from './dealer/cluster-calls.js';
import { isRanked, type Registration } from './dealer/registration.js';
import type { AuthGate } from './hooks.js';
import { OptionError, readCallOptions, type InvocationPolicy } from './options.js';
import type { Realm } from './realm.js';
import { Session, type SessionHost } from './session.js';

/** Stand-in callers never sign in: they are made established. */
const noSignIn: AuthGate = { hello: () => ({ kind: 'deny', reason: ErrorUri.notAuthorized, message: 'not a connection' }) };

/**
 * RPC across nodes for one realm. A CALL goes to the registration that matches it best in the
 * whole cluster (the spec's precedence), and for a shared one to the node its policy picks over
 * the cluster's callees (backplane-picks.ts). That node's dealer runs it as for a local caller,
 * through a stand-in session that carries the caller's identity and sends RESULT and ERROR back.
 * Authorization happened on the caller's node; timeouts, cancel modes and progress are the callee
 * node's dealer's, unchanged. Every call forwarded is tracked on the caller's node until its final
 * answer, so a node that dies fails its calls at once.
 */
export class RemoteCalls implements ClusterCalls {
  /** Caller's node: each caller's calls in flight on other nodes, request id → node. */
  private readonly outgoing = new Map<Session, Map<number, string>>();
  /** Callee's node: one stand-in per remote caller, by node and session id. */
  private readonly standIns = new Map<string, Session>();
  /** Each stand-in's node: the one its caller is on. */
  private readonly standInNodes = new WeakMap<Session, string>();
  private turn = 0;
  /** Each local clustered registration's (realm, uri, match), made once: a call looks up the other nodes' summaries without allocating. */
  private readonly interests = new WeakMap<Registration, Interest>();

  constructor(private readonly realm: Realm, private readonly backplane: Backplane, private readonly host: SessionHost) {}

  // ---- registrations ----

  /** Claims (realm, procedure, match) for this node across the cluster; see Backplane.claimProcedure. */
  claim(procedure: string, match: MatchPolicy, invoke: InvocationPolicy): Promise<ClaimAnswer> {
    return this.backplane.claimProcedure({ realm: this.realm.name, uri: procedure, match }, invoke);
  }

  /** Resolves once the cluster has taken the release (see Backplane.releaseProcedure). */
  release(procedure: string, match: MatchPolicy): Promise<void> {
    return this.backplane.releaseProcedure({ realm: this.realm.name, uri: procedure, match });
  }

  // ---- the caller's node ----

  /**
   * Sends a CALL to another node when one holds a registration that outranks `local`, this node's
   * best match (any registration, without one): the spec's precedence over the whole cluster
   * (match/precedence.ts). It goes to the node that registration's shared policy picks over the
   * cluster's callees, else (a `single` one, or no summaries yet) round-robin over its nodes, and
   * that node runs exactly that registration. Returns false when the call stays on this node.
   */
  forward(caller: Session, message: Call, disclose: boolean, local?: Registration): boolean {
    if (this.standInNodes.has(caller)) return false; // a forwarded call is never forwarded again
    const best = this.backplane.bestProcedure(this.realm.name, message.procedure);
    if (!best || (local && !outranks(best, local))) return false;
    const summaries = this.backplane.procedureSummaries(best);
    let node = summaries && nodeForCall(summaries, this.backplane.nodeId, undefined, Math.random);
    if (node === undefined) {
      const nodes = this.backplane.calleeNodes(this.realm.name, message.procedure);
      node = nodes[this.turn++ % nodes.length]!;
    }
    this.forwardTo(node, caller, message, disclose, best);
    return true;
  }

  /**
   * A CALL to a local shared registration that other nodes hold too: sends it on when its policy
   * picks another node's callee. Returns false when this node's own callees serve it.
   */
  forwardShared(caller: Session, message: Call, disclose: boolean, registration: Registration): boolean {
    if (registration.invoke === 'single' || this.standInNodes.has(caller)) return false;
    const summaries = this.backplane.procedureSummaries(this.interestOf(registration));
    const node = summaries && nodeForCall(summaries, this.backplane.nodeId, registration, Math.random);
    if (node === undefined) return false;
    this.forwardTo(node, caller, message, disclose, this.interestOf(registration));
    return true;
  }

  /** The callees of a local clustered registration changed: a shared one tells the other nodes its new summary. */
  summarize(registration: Registration): void {
    const { invoke } = registration;
    if (invoke === 'single') return;
    const summary = isRanked(invoke) ? rankOf(registration, invoke) : { invoke, callees: registration.callees.length } satisfies CalleeCount;
    this.backplane.summarizeProcedure(this.interestOf(registration), summary);
  }

  private interestOf(registration: Registration): Interest {
    let interest = this.interests.get(registration);
    if (!interest) this.interests.set(registration, (interest = { realm: this.realm.name, uri: registration.uri, match: registration.match }));
    return interest;
  }

  /** `registration`: the one the call is for, which the callee's node runs (not its own best match, whatever it holds). */
  private forwardTo(node: string, caller: Session, message: Call, disclose: boolean, registration: Interest): void {
    let mine = this.outgoing.get(caller);
    if (!mine) this.outgoing.set(caller, (mine = new Map()));
    mine.set(message.request, node);
    this.send(node, caller, message, disclose, registration);
  }

  /** A further chunk of a progressive call in flight on another node; false if the request is not one. */
  continueCall(caller: Session, message: Call): boolean {
    const node = this.outgoing.get(caller)?.get(message.request);
    if (node === undefined) return false;
    this.send(node, caller, message, false);
    return true;
  }

  cancel(caller: Session, message: Cancel): void {
    const node = this.outgoing.get(caller)?.get(message.request);
    if (node !== undefined) this.backplane.sendCall(node, { k: 'cancel', realm: this.realm.name, caller: caller.id, message });
  }

  /** The dealer ended a call with nothing for its caller (CANCEL `skip`): a caller on another node is told, so that its node stops counting it. */
  endedQuietly(caller: Session, request: number): void {
    const node = this.standInNodes.get(caller);
    if (node !== undefined) this.backplane.sendCall(node, { k: 'ended', realm: this.realm.name, caller: caller.id, request });
  }

  callsOf(caller: Session): number {
    return this.outgoing.get(caller)?.size ?? 0;
  }

  /** A session left: on the caller's node its remote calls are dropped (the callee's node interrupts them); a stand-in is simply gone. */
  leave(session: Session): void {
    const mine = this.outgoing.get(session);
    if (!mine) return;
    this.outgoing.delete(session);
    for (const node of new Set(mine.values())) {
      this.backplane.sendCall(node, { k: 'callerGone', realm: this.realm.name, caller: session.id });
    }
  }

  // ---- both ----

  receive(from: string, traffic: CallTraffic): void {
    switch (traffic.k) {
      case 'reply': return this.reply(from, traffic.caller, traffic.message);
      case 'ended': return this.ended(from, traffic.caller, traffic.request);
      case 'call': return this.runCall(from, traffic);
      case 'cancel': {
        const standIn = this.standIns.get(standInKey(from, traffic.caller));
        if (standIn) this.realm.dealer.cancel(standIn, traffic.message);
        return;
      }
      case 'callerGone': return this.dropStandIn(standInKey(from, traffic.caller));
    }
  }

  /**
   * A node left or died, or messages to or from it may have been lost (`why` says which, after
   * "the callee's router node"): calls waiting on it fail now; calls it made here are dropped as if their callers left.
   */
  nodeGone(node: string, why: string): void {
    for (const [caller, mine] of this.outgoing) {
      for (const [request, target] of mine) {
        if (target !== node) continue;
        mine.delete(request);
        caller.sendError(MessageType.CALL, request, ErrorUri.canceled, `the callee's router node ("${node}") ${why} before answering the call`);
      }
      if (mine.size === 0) this.outgoing.delete(caller);
    }
    const prefix = `${node}\u0000`;
    for (const key of [...this.standIns.keys()]) if (key.startsWith(prefix)) this.dropStandIn(key);
  }

  private send(node: string, caller: Session, message: Call, disclose: boolean, registration?: Interest): void {
    const facts: CallerFacts = { session: caller.id, authid: caller.authid, authrole: caller.authrole };
    this.backplane.sendCall(node, { k: 'call', realm: this.realm.name, caller: facts, message, disclose, registration });
  }

  private reply(from: string, callerId: number, message: Extract<CallTraffic, { k: 'reply' }>['message']): void {
    const caller = this.realm.session(callerId);
    if (!caller || !this.isOutgoing(caller, message.request, from)) return; // the caller left, or the call already ended
    const final = message.type === MessageType.ERROR || message.details.progress !== true;
    if (final) this.forgetOutgoing(caller, message.request);
    caller.send(message);
  }

  /** The callee's node ended a call with nothing for its caller (CANCEL `skip`): it is no longer in flight. */
  private ended(from: string, callerId: number, request: number): void {
    const caller = this.realm.session(callerId);
    if (caller && this.isOutgoing(caller, request, from)) this.forgetOutgoing(caller, request);
  }

  private isOutgoing(caller: Session, request: number, node: string): boolean {
    return this.outgoing.get(caller)?.get(request) === node;
  }

  private forgetOutgoing(caller: Session, request: number): void {
    const mine = this.outgoing.get(caller);
    if (!mine) return;
    mine.delete(request);
    if (mine.size === 0) this.outgoing.delete(caller);
  }

  // ---- the callee's node ----

  private runCall(from: string, { caller, message, disclose, registration }: Extract<CallTraffic, { k: 'call' }>): void {
    const standIn = this.standIn(from, caller);
    try {
      this.realm.dealer.call(standIn, message, readCallOptions(message.options), disclose, registration);
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      standIn.sendError(MessageType.CALL, message.request, ErrorUri.invalidArgument, error.message);
    }
  }

  private standIn(node: string, facts: CallerFacts): Session {
    const key = standInKey(node, facts.session);
    const existing = this.standIns.get(key);
    if (existing) return existing;
    const realmName = this.realm.name;
    const session = new Session({
      transport: { type: 'cluster', serializer: 'none', peer: `node:${node}` },
      // Only answers to the caller cross back; nothing else is ever sent to a caller by the dealer.
      send: (envelope) => {
        const message = envelope.message;
        if (message.type !== MessageType.RESULT && message.type !== MessageType.ERROR) return;
        this.backplane.sendCall(node, { k: 'reply', realm: realmName, caller: facts.session, message });
      },
      close: () => this.dropStandIn(key),
    }, this.host, noSignIn, 0);
    Object.assign(session, {
      id: facts.session, realmName, realm: this.realm, state: 'established',
      facts: { session: facts.session, realm: realmName, authid: facts.authid, authrole: facts.authrole, authmethod: '', authprovider: '' },
      limited: false, // its node held the caller to the limits
    });
    this.standIns.set(key, session);
    this.standInNodes.set(session, node);
    return session;
  }

  private dropStandIn(key: string): void {
    const standIn = this.standIns.get(key);
    if (!standIn) return;
    this.standIns.delete(key);
    this.realm.dealer.leave(standIn);
  }
}

function standInKey(node: string, session: number): string {
  return `${node}\u0000${session}`;
}
