import type { Session } from '../session.js';
import type { Registration } from './registration.js';

/** A call in flight: routed to a callee, not yet answered with a final RESULT or ERROR. */
export interface PendingCall {
  readonly caller: Session;
  readonly callerRequest: number;
  readonly callee: Session;
  readonly invocationRequest: number;
  readonly registration: Registration;
  readonly receiveProgress: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * The dealer's calls in flight, reachable from both ends: from the callee's INVOCATION request ID
 * (YIELD, ERROR) and from the caller's CALL request ID (CANCEL). Per-session maps make the
 * clean-up of a departed session proportional to its own calls.
 */
export class InvocationTable {
  private readonly byCallee = new Map<Session, Map<number, PendingCall>>();
  private readonly byCaller = new Map<Session, Map<number, PendingCall>>();

  add(call: PendingCall): void {
    insert(this.byCallee, call.callee, call.invocationRequest, call);
    insert(this.byCaller, call.caller, call.callerRequest, call);
  }

  remove(call: PendingCall): void {
    if (call.timer) clearTimeout(call.timer);
    this.byCallee.get(call.callee)?.delete(call.invocationRequest);
    this.byCaller.get(call.caller)?.delete(call.callerRequest);
  }

  fromCallee(callee: Session, invocationRequest: number): PendingCall | undefined {
    return this.byCallee.get(callee)?.get(invocationRequest);
  }

  fromCaller(caller: Session, callerRequest: number): PendingCall | undefined {
    return this.byCaller.get(caller)?.get(callerRequest);
  }

  /** Removes and returns every call a session is callee of. */
  takeCalleeCalls(callee: Session): PendingCall[] {
    return this.takeAll(this.byCallee, callee);
  }

  /** Removes and returns every call a session is caller of. */
  takeCallerCalls(caller: Session): PendingCall[] {
    return this.takeAll(this.byCaller, caller);
  }

  get size(): number {
    let count = 0;
    for (const calls of this.byCallee.values()) count += calls.size;
    return count;
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
