import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import fc from 'fast-check';
import { MessageType as T } from '../../protocol/codes.js';
import { flush, ManualClock, RouterHarness, type MemoryPeer } from '../../../test/support/router-harness.js';

/**
 * Call queues under random interleavings of calls, answers, cancels, timeouts and sessions that
 * come and go: no callee ever holds more calls than its `concurrency`, no CALL is answered twice,
 * every call of a caller that stays is answered once the callees answer everything (but those it
 * canceled in mode `skip`), and nothing is left in the dealer once every session has left.
 * Timers are node:test's mocked ones, so the dealer's clearTimeout works as in production.
 */

/** The dealer's clock on node:test's mocked setTimeout and Date. */
class MockedClock extends ManualClock {
  override setTimeout(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
    return setTimeout(callback, ms);
  }

  override now(): number {
    return Date.now();
  }
}

type Op =
  | { kind: 'call'; caller: number; timeout: number }
  | { kind: 'answer'; callee: number; error: boolean }
  | { kind: 'cancel'; caller: number; mode: 'skip' | 'kill' | 'killnowait' }
  | { kind: 'leaveCaller'; caller: number }
  | { kind: 'leaveCallee'; callee: number }
  | { kind: 'register'; callee: number }
  | { kind: 'advance'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('call' as const), caller: fc.nat(1), timeout: fc.constantFrom(0, 0, 20) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('answer' as const), callee: fc.nat(1), error: fc.boolean() }) },
  fc.record({ kind: fc.constant('cancel' as const), caller: fc.nat(1), mode: fc.constantFrom('skip' as const, 'kill' as const, 'killnowait' as const) }),
  fc.record({ kind: fc.constant('leaveCaller' as const), caller: fc.nat(1) }),
  fc.record({ kind: fc.constant('leaveCallee' as const), callee: fc.nat(1) }),
  fc.record({ kind: fc.constant('register' as const), callee: fc.nat(1) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(5, 25) }),
);

/** An invocation as its callee sees it: its request, and the call it is (caller number and CALL request, in its arguments). */
interface Held { request: number; call: string }
interface Callee { peer: MemoryPeer; limit: number; registered: boolean; invocations: Held[]; interrupted: Set<number> }
interface Caller { peer: MemoryPeer; id: number; next: number; open: Set<number>; skipped: Set<number>; answers: Map<number, number> }

describe('dealer - call queues, property', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
  afterEach(() => mock.timers.reset());

  it('keeps every bound and answers every call once, whatever the interleaving', async () => {
    const policy = fc.constantFrom('roundrobin', 'first', 'last');
    await fc.assert(fc.asyncProperty(fc.array(op, { maxLength: 60, size: 'medium' }), fc.constantFrom(1, 2), policy, async (ops, limit, invoke) => {
      const h = new RouterHarness({ clock: new MockedClock(), realm: { callQueues: [{ uri: 'com.q', match: 'exact', limit: 3, limitBytes: 1_000_000 }] } });
      let joined = 0;
      const joinCaller = async (): Promise<Caller> => ({ peer: (await h.join()).peer, id: joined++, next: 1, open: new Set(), skipped: new Set(), answers: new Map() });
      const joinCallee = async (): Promise<Callee> => ({ peer: (await h.join()).peer, limit, registered: false, invocations: [], interrupted: new Set() });
      const callers = [await joinCaller(), await joinCaller()];
      /** Calls canceled in mode skip: the router ends them at once (their callee is not told), so their places are free. */
      const skipped = new Set<string>();
      const callees = [await joinCallee(), await joinCallee()];
      const register = async (callee: Callee) => {
        callee.peer.raw([T.REGISTER, 1, { invoke, concurrency: callee.limit }, 'com.q']);
        await flush();
        callee.registered = true;
      };
      const dealer = h.router.realm('realm1')!.dealer;
      /** Reads what everyone got; checks the bounds, and that no call waits while a callee it may go to is free. */
      const collect = () => {
        if (h.router.metrics.callQueueCalls.value({ realm: 'realm1' }) > 0) {
          const registration = dealer.match('com.q');
          assert.ok(registration, 'calls wait for a procedure nobody has registered');
          const callees = registration.callees;
          const pickable = invoke === 'roundrobin' ? callees : [invoke === 'first' ? callees[0]! : callees[callees.length - 1]!];
          for (const callee of pickable) {
            const slots = registration.slots?.get(callee);
            assert.ok(slots && slots.busy >= slots.limit, 'a call waits while a callee it may go to is free');
          }
        }
        for (const callee of callees) {
          for (const message of callee.peer.take()) {
            if (message.type === T.INVOCATION) callee.invocations.push({ request: message.request, call: String(message.args) });
            if (message.type === T.INTERRUPT) callee.interrupted.add(message.request);
          }
          const held = callee.invocations.filter((held) => !callee.interrupted.has(held.request) && !skipped.has(held.call)).length;
          assert.ok(held <= callee.limit, `a callee holds ${held} calls, over its concurrency ${callee.limit}`);
        }
        for (const caller of callers) {
          for (const message of caller.peer.take()) {
            if (message.type !== T.RESULT && message.type !== T.ERROR) continue;
            const count = (caller.answers.get(message.request) ?? 0) + 1;
            assert.equal(count, 1, `CALL ${message.request} answered twice`);
            caller.answers.set(message.request, count);
            caller.open.delete(message.request);
          }
        }
      };
      const answer = (callee: Callee, error: boolean) => {
        const request = callee.invocations.shift()?.request;
        if (request === undefined) return;
        callee.interrupted.delete(request);
        callee.peer.raw(error ? [T.ERROR, T.INVOCATION, request, {}, 'com.failed'] : [T.YIELD, request, {}, []]);
      };
      await register(callees[0]!);

      for (const step of ops) {
        switch (step.kind) {
          case 'call': {
            const caller = callers[step.caller]!;
            const request = caller.next++;
            caller.open.add(request);
            caller.peer.raw([T.CALL, request, step.timeout ? { timeout: step.timeout } : {}, 'com.q', [caller.id, request]]);
            break;
          }
          case 'answer':
            answer(callees[step.callee]!, step.error);
            break;
          case 'cancel': {
            const caller = callers[step.caller]!;
            const request = [...caller.open][0];
            if (request === undefined) break;
            caller.peer.raw([T.CANCEL, request, { mode: step.mode }]);
            if (step.mode === 'skip') {
              caller.open.delete(request);
              caller.skipped.add(request);
              skipped.add(String([caller.id, request]));
            }
            break;
          }
          case 'leaveCaller':
            callers[step.caller]!.peer.link.detach();
            await flush();
            callers[step.caller] = await joinCaller();
            break;
          case 'leaveCallee':
            callees[step.callee]!.peer.link.detach();
            await flush();
            callees[step.callee] = await joinCallee();
            break;
          case 'register':
            if (!callees[step.callee]!.registered) await register(callees[step.callee]!);
            break;
          case 'advance':
            mock.timers.tick(step.ms);
            break;
        }
        collect();
      }

      // The callees answer everything until nothing more comes: every open call is then answered.
      if (!callees.some((callee) => callee.registered)) await register(callees[0]!);
      for (let round = 0; round < 200 && callees.some((callee) => callee.invocations.length > 0); round++) {
        for (const callee of callees) answer(callee, false);
        collect();
      }
      for (const caller of callers) {
        assert.deepEqual([...caller.open], [], 'every call of a caller that stayed is answered');
        for (const request of caller.skipped) assert.ok((caller.answers.get(request) ?? 0) <= 1);
      }
      for (const peer of [...callers, ...callees].map((session) => session.peer)) peer.link.detach();
      await flush();
      assert.equal(h.router.metrics.callQueueCalls.value({ realm: 'realm1' }), 0);
      assert.equal(h.router.metrics.callQueueBytes.value({ realm: 'realm1' }), 0);
      assert.equal(dealer.callsInFlight(), 0);
      assert.deepEqual(dealer.pendingFootprint(), { callees: 0, callers: 0, abandoned: 0 });
    }), { numRuns: 200 });
  });
});
