import type { Dict } from '../../protocol/messages.js';
import type { Session } from '../session.js';
import type { CalleeSlots, Registration } from './registration.js';

/** A call in flight: routed to a callee, not yet answered with a final RESULT or ERROR. */
export interface PendingCall {
  readonly caller: Session;
  readonly callerRequest: number;
  readonly callee: Session;
  readonly invocationRequest: number;
  readonly registration: Registration;
  readonly receiveProgress: boolean;
  /** INVOCATION.Details fixed by the first CALL: later chunks of a progressive call reuse them. */
  readonly invocationDetails: Dict;
  /** The caller is streaming a progressive call invocation and has not sent its final CALL yet. */
  callerStreaming: boolean;
  /** The dealer clock's time when the CALL was routed, for the call duration histogram. */
  readonly startedAt: number;
  timer?: ReturnType<typeof setTimeout>;
  /** Canceled in mode `kill`: the callee was interrupted and its answer is awaited; a further CANCEL is ignored. */
  killed: boolean;
  /** The callee's `concurrency` count on the registration, which this call holds one of while in flight. */
  slots?: CalleeSlots;
}

/** How many ended-but-still-streaming calls are remembered per caller (a bound against a misbehaving caller). */
const ABANDONED_PER_CALLER = 1024;

/**
 * The dealer's calls in flight, reachable from both ends: from the callee's INVOCATION request ID
 * (YIELD, ERROR) and from the caller's CALL request ID (CANCEL, further progressive chunks).
 * Per-session maps make the clean-up of a departed session proportional to its own calls.
 *
 * A progressive call can end (error, timeout, cancel, callee gone) while its caller is still
 * sending chunks under the same request ID. Those request IDs are remembered as "abandoned" until
 * the caller's final chunk arrives, so a late chunk is dropped rather than started as a new call.
 */
export class InvocationTable {
  private readonly byCallee = new Map<Session, Map<number, PendingCall>>();
  private readonly byCaller = new Map<Session, Map<number, PendingCall>>();
  private readonly abandoned = new Map<Session, Set<number>>();

  add(call: PendingCall): void {
    if (call.slots) call.slots.busy++;
    insert(this.byCallee, call.callee, call.invocationRequest, call);
    insert(this.byCaller, call.caller, call.callerRequest, call);
  }

  remove(call: PendingCall): void {
    if (call.timer) clearTimeout(call.timer);
    call.timer = undefined;
    if (call.slots) call.slots.busy--;
    call.slots = undefined;
    this.byCallee.get(call.callee)?.delete(call.invocationRequest);
    this.byCaller.get(call.caller)?.delete(call.callerRequest);
    if (call.callerStreaming) this.abandon(call.caller, call.callerRequest);
  }

  /** The calls this session made that are in flight (a copy: ending one while walking them is safe). */
  callsFrom(caller: Session): PendingCall[] {
    return [...(this.byCaller.get(caller)?.values() ?? [])];
  }

  /** How many calls this session made are in flight. */
  callsOf(caller: Session): number {
    return this.byCaller.get(caller)?.size ?? 0;
  }

  fromCallee(callee: Session, invocationRequest: number): PendingCall | undefined {
    return this.byCallee.get(callee)?.get(invocationRequest);
  }

  fromCaller(caller: Session, callerRequest: number): PendingCall | undefined {
    return this.byCaller.get(caller)?.get(callerRequest);
  }

  /** Remembers that further chunks of this progressive call are to be dropped. */
  abandon(caller: Session, callerRequest: number): void {
    let requests = this.abandoned.get(caller);
    if (!requests) this.abandoned.set(caller, (requests = new Set()));
    requests.add(callerRequest);
    if (requests.size > ABANDONED_PER_CALLER) requests.delete(requests.values().next().value!);
  }

  isAbandoned(caller: Session, callerRequest: number): boolean {
    return this.abandoned.get(caller)?.has(callerRequest) ?? false;
  }

  /** The caller's final chunk of an abandoned call arrived: its request ID is free again. */
  forgetAbandoned(caller: Session, callerRequest: number): void {
    const requests = this.abandoned.get(caller);
    requests?.delete(callerRequest);
    if (requests?.size === 0) this.abandoned.delete(caller);
  }

  /** Removes and returns every call a session is callee of. */
  takeCalleeCalls(callee: Session): PendingCall[] {
    return this.takeAll(this.byCallee, callee);
  }

  /** Removes and returns every call a session is caller of, and forgets its abandoned request IDs. */
  takeCallerCalls(caller: Session): PendingCall[] {
    const calls = this.takeAll(this.byCaller, caller);
    this.abandoned.delete(caller);
    return calls;
  }

  get size(): number {
    let count = 0;
    for (const calls of this.byCallee.values()) count += calls.size;
    return count;
  }

  /** How many sessions each index still holds an entry for: all 0 once every session involved has left. */
  footprint(): { callees: number; callers: number; abandoned: number } {
    return { callees: this.byCallee.size, callers: this.byCaller.size, abandoned: this.abandoned.size };
  }

  private takeAll(index: Map<Session, Map<number, PendingCall>>, session: Session): PendingCall[] {
    const calls = [...(index.get(session)?.values() ?? [])];
    index.delete(session);
    for (const call of calls) this.remove(call);
    return calls;
  }
}

function insert(index: Map<Session, Map<number, PendingCall>>, session: Session, id: number, call: PendingCall): void {
  let calls = index.get(session);
  if (!calls) index.set(session, (calls = new Map()));
  calls.set(id, call);
}
