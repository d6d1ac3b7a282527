import type { Call } from '../../protocol/messages.js';
import type { MatchPolicy } from '../../protocol/uri.js';
import type { BoundCounter, BoundGauge } from '../../metrics/registry.js';
import { payloadBytes } from '../limits/payload-bytes.js';
import { PatternTable } from '../match/pattern-table.js';
import type { CallOptions } from '../options.js';
import type { RouterMetrics } from '../router-metrics.js';
import type { Session } from '../session.js';
import type { Registration } from './registration.js';

/** One entry of a realm store's `call-queue` (Crossbar's): calls to matching procedures may wait, at most `limit` (and `limitBytes`) at a time. */
export interface CallQueueSetting {
  uri: string;
  match: MatchPolicy;
  limit: number;
  /** Bytes (estimated, payloadBytes) the waiting calls may take together. */
  limitBytes: number;
}

/** How a call enters or leaves a queue, as junction_call_queue_total labels it. */
export type CallQueueEvent = 'queued' | 'drained' | 'refused_full' | 'expired' | 'canceled' | 'caller_left' | 'unregistered';

/** One entry's queue: the calls it holds now and their bytes, counted against its limits. */
interface Line {
  readonly setting: CallQueueSetting;
  size: number;
  bytes: number;
}

/** A CALL that found every callee it may go to at its `concurrency` limit, waiting for one to be free. */
export interface QueuedCall {
  readonly caller: Session;
  readonly message: Call;
  readonly options: CallOptions;
  readonly disclose: boolean;
  /** The registration the CALL matched when it arrived: it goes to one of its callees. */
  readonly registration: Registration;
  /** The dealer clock's time when the CALL arrived: its `timeout` counts from then. */
  readonly arrivedAt: number;
  readonly line: Line;
  /** What it counts against the line's `limitBytes`: its procedure and payload, estimated. */
  readonly bytes: number;
  timer?: ReturnType<typeof setTimeout>;
}

/** A CALL's bytes as a queue counts them (the walk stops past `ceiling`: it would not fit anyway). */
export function callBytes(message: Call, ceiling: number): number {
  return message.procedure.length + payloadBytes([message.args, message.kwargs, message.payload], ceiling);
}

export const callQueuesInClusterRefusal =
  'call queues (a realm store\'s "call-queue") need a node of its own: with --workers or a "cluster" a call and the callees it waits for may be on different processes (docs/configuration.md, "Call queues")';

/**
 * A realm's call queues. Each configured entry bounds how many calls wait in it; the calls are
 * kept in arrival order per registration (what a freed callee takes next) and by caller (CANCEL,
 * the caller's calls-in-flight limit, its leaving).
 */
export class CallQueues {
  private readonly lines = new PatternTable<Line>();
  private readonly byRegistration = new Map<Registration, Set<QueuedCall>>();
  private readonly byCaller = new Map<Session, Map<number, QueuedCall>>();
  private readonly waiting: BoundGauge;
  private readonly waitingBytes: BoundGauge;
  private readonly counts: Record<CallQueueEvent, BoundCounter>;
  private total = 0;
  private totalBytes = 0;

  constructor(settings: readonly CallQueueSetting[], metrics: RouterMetrics, realm: string) {
    for (const setting of settings) this.lines.set(setting.uri, setting.match, { setting, size: 0, bytes: 0 });
    this.waiting = metrics.callQueueCalls.bind({ realm });
    this.waitingBytes = metrics.callQueueBytes.bind({ realm });
    const count = (event: CallQueueEvent) => metrics.callQueueEvents.bind({ realm, event });
    this.counts = {
      queued: count('queued'), drained: count('drained'), refused_full: count('refused_full'), expired: count('expired'),
      canceled: count('canceled'), caller_left: count('caller_left'), unregistered: count('unregistered'),
    };
  }

  /** The queue a CALL to `procedure` may wait in (the best matching entry, as calls are routed), if any. */
  lineFor(procedure: string): Line | undefined {
    return this.lines.best(procedure);
  }

  /** Queues a call unless its line is full: then it is counted as refused, and the limit that refused it is returned. */
  add(call: QueuedCall): 'limit' | 'limit_bytes' | undefined {
    const { line } = call;
    const full = line.size >= line.setting.limit ? 'limit' : line.bytes + call.bytes > line.setting.limitBytes ? 'limit_bytes' : undefined;
    if (full) {
      this.counts.refused_full.inc();
      return full;
    }
    line.size++;
    line.bytes += call.bytes;
    let ofRegistration = this.byRegistration.get(call.registration);
    if (!ofRegistration) this.byRegistration.set(call.registration, (ofRegistration = new Set()));
    ofRegistration.add(call);
    let ofCaller = this.byCaller.get(call.caller);
    if (!ofCaller) this.byCaller.set(call.caller, (ofCaller = new Map()));
    ofCaller.set(call.message.request, call);
    this.waiting.set(++this.total);
    this.waitingBytes.set((this.totalBytes += call.bytes));
    this.counts.queued.inc();
    return undefined;
  }

  /** Takes a call out of its queue, saying why; false if it was no longer there. */
  remove(call: QueuedCall, event: Exclude<CallQueueEvent, 'queued' | 'refused_full'>): boolean {
    if (call.timer) clearTimeout(call.timer);
    call.timer = undefined;
    const ofRegistration = this.byRegistration.get(call.registration);
    if (!ofRegistration?.delete(call)) return false;
    if (ofRegistration.size === 0) this.byRegistration.delete(call.registration);
    const ofCaller = this.byCaller.get(call.caller);
    ofCaller?.delete(call.message.request);
    if (ofCaller?.size === 0) this.byCaller.delete(call.caller);
    call.line.size--;
    call.line.bytes -= call.bytes;
    this.waiting.set(--this.total);
    this.waitingBytes.set((this.totalBytes -= call.bytes));
    this.counts[event].inc();
    return true;
  }

  /** The call waiting longest for a callee of `registration`. */
  next(registration: Registration): QueuedCall | undefined {
    return this.byRegistration.get(registration)?.values().next().value;
  }

  fromCaller(caller: Session, request: number): QueuedCall | undefined {
    return this.byCaller.get(caller)?.get(request);
  }

  /** How many of this session's calls wait in a queue. */
  callsOf(caller: Session): number {
    return this.byCaller.get(caller)?.size ?? 0;
  }

  /** The calls of this session that wait in a queue (a copy: removing one while walking them is safe). */
  callsFrom(caller: Session): QueuedCall[] {
    return [...(this.byCaller.get(caller)?.values() ?? [])];
  }

  /** Removes every queued call of a caller that left (nobody is there to answer). */
  dropCallerCalls(caller: Session): void {
    for (const call of this.callsFrom(caller)) this.remove(call, 'caller_left');
  }

  /** Removes and returns every call waiting for a registration that is gone. */
  takeRegistrationCalls(registration: Registration): QueuedCall[] {
    const calls = [...(this.byRegistration.get(registration) ?? [])];
    for (const call of calls) this.remove(call, 'unregistered');
    return calls;
  }

}
