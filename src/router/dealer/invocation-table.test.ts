import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Session } from '../session.js';
import { InvocationTable, type PendingCall } from './invocation-table.js';
import type { Registration } from './registration.js';

// The table only uses sessions as keys: plain objects stand in for them.
const caller = {} as Session;
const otherCaller = {} as Session;
const callee = {} as Session;
const registration = {} as Registration;

function pending(callerRequest: number, invocationRequest: number, from: Session = caller, streaming = false): PendingCall {
  return {
    caller: from, callerRequest, callee, invocationRequest, registration, receiveProgress: false,
    invocationDetails: {}, callerStreaming: streaming, startedAt: 0, killed: false,
  };
}

describe('invocation table', () => {
  it('finds a call from the caller request and from the invocation request, until removed', () => {
    const table = new InvocationTable();
    const call = pending(7, 1);
    table.add(call);
    table.add(pending(7, 2, otherCaller));
    assert.equal(table.fromCaller(caller, 7), call);
    assert.equal(table.fromCallee(callee, 1), call);
    assert.equal(table.fromCaller(otherCaller, 7)?.invocationRequest, 2, 'request IDs are per caller');
    assert.equal(table.size, 2);
    table.remove(call);
    assert.equal(table.fromCaller(caller, 7), undefined);
    assert.equal(table.fromCallee(callee, 1), undefined);
    assert.equal(table.size, 1);
  });

  it('hands over all calls of a departing callee or caller', () => {
    const table = new InvocationTable();
    table.add(pending(1, 1));
    table.add(pending(2, 2));
    table.add(pending(1, 3, otherCaller));
    assert.deepEqual(table.takeCallerCalls(caller).map((c) => c.invocationRequest).sort(), [1, 2]);
    assert.equal(table.size, 1);
    assert.deepEqual(table.takeCalleeCalls(callee).map((c) => c.invocationRequest), [3]);
    assert.equal(table.size, 0);
    assert.deepEqual(table.takeCalleeCalls(callee), []);
  });

  it('remembers a progressive call that ended while its caller was still streaming, until the final chunk', () => {
    const table = new InvocationTable();
    const streaming = pending(5, 1, caller, true);
    const finished = pending(6, 2, caller, false);
    table.add(streaming);
    table.add(finished);
    table.remove(streaming);
    table.remove(finished);
    assert.equal(table.isAbandoned(caller, 5), true);
    assert.equal(table.isAbandoned(caller, 6), false, 'a call whose caller had finished sending is simply gone');
    table.forgetAbandoned(caller, 5);
    assert.equal(table.isAbandoned(caller, 5), false);
  });

  it('forgets the abandoned request IDs of a caller that leaves, and bounds them per caller', () => {
    const table = new InvocationTable();
    for (let request = 1; request <= 1100; request++) table.abandon(caller, request);
    assert.equal(table.isAbandoned(caller, 1), false, 'the oldest are dropped beyond the bound');
    assert.equal(table.isAbandoned(caller, 1100), true);
    table.add(pending(2000, 1, caller, true));
    assert.equal(table.takeCallerCalls(caller).length, 1);
    assert.equal(table.isAbandoned(caller, 1100), false);
    assert.equal(table.isAbandoned(caller, 2000), false);
  });
});
