import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType } from '../protocol/codes.js';
import { ForgottenCalls, planForUndeliverable } from './undeliverable.js';

const uri = 'junction.error.unencodable_payload';
const why = 'cannot be encoded as msgpack: the payload nests too deeply to encode';

describe('planForUndeliverable', () => {
  it('RESULT: the caller gets an ERROR for its CALL instead', () => {
    const plan = planForUndeliverable({ type: MessageType.RESULT, request: 7, details: {}, args: ['x'] }, why, uri);
    assert.deepEqual(plan, {
      what: 'result replaced by an error', close: false,
      instead: { type: MessageType.ERROR, requestType: MessageType.CALL, request: 7, details: {}, error: uri, args: [`RESULT ${why}`] },
    });
  });

  it('a progressive RESULT also cancels the call for the caller and forgets the rest of it', () => {
    const plan = planForUndeliverable({ type: MessageType.RESULT, request: 7, details: { progress: true } }, why, uri);
    assert.deepEqual(plan.onBehalfOfClient, [MessageType.CANCEL, 7, { mode: 'killnowait' }]);
    assert.equal(plan.forgetCall, 7);
  });

  it("INVOCATION: answered with the callee's ERROR, on its behalf", () => {
    const plan = planForUndeliverable({ type: MessageType.INVOCATION, request: 3, registration: 9, details: {}, args: [] }, why, uri);
    assert.deepEqual(plan.onBehalfOfClient, [MessageType.ERROR, MessageType.INVOCATION, 3, {}, uri, [`INVOCATION ${why}`]]);
    assert.equal(plan.instead, undefined);
  });

  it('ERROR: a short ERROR naming the original URI; EVENT: dropped; anything else: ABORT and close', () => {
    const error = planForUndeliverable({ type: MessageType.ERROR, requestType: MessageType.CALL, request: 4, details: {}, error: 'app.failed', args: [] }, why, uri);
    assert.deepEqual(error.instead, { type: MessageType.ERROR, requestType: MessageType.CALL, request: 4, details: {}, error: uri, args: [`ERROR ${why} (the error was app.failed)`] });
    assert.deepEqual(planForUndeliverable({ type: MessageType.EVENT, subscription: 1, publication: 2, details: {} }, why, uri), { what: 'event not delivered', close: false });
    const welcome = planForUndeliverable({ type: MessageType.WELCOME, session: 1, details: {} }, why, uri);
    assert.deepEqual(welcome.instead, { type: MessageType.ABORT, details: { message: `WELCOME ${why}` }, reason: uri });
    assert.equal(welcome.close, true);
  });
});

describe('ForgottenCalls', () => {
  it("drops a forgotten call's progressive results and its end, then forgets it", () => {
    const forgotten = new ForgottenCalls();
    forgotten.add(5);
    assert.equal(forgotten.drops({ type: MessageType.RESULT, request: 5, details: { progress: true } }), true);
    assert.equal(forgotten.drops({ type: MessageType.RESULT, request: 6, details: {} }), false);
    assert.equal(forgotten.drops({ type: MessageType.ERROR, requestType: MessageType.CALL, request: 5, details: {}, error: 'wamp.error.canceled' }), true);
    assert.equal(forgotten.size, 0);
    assert.equal(forgotten.drops({ type: MessageType.RESULT, request: 5, details: {} }), false);
  });

  it('tracks at most 1,024 calls, letting the oldest go (a skipped call never ends with a message)', () => {
    const forgotten = new ForgottenCalls();
    for (let request = 1; request <= 2_000; request++) forgotten.add(request);
    assert.equal(forgotten.size, 1_024);
    assert.equal(forgotten.drops({ type: MessageType.RESULT, request: 2_000, details: { progress: true } }), true, 'the newest is tracked');
    assert.equal(forgotten.drops({ type: MessageType.RESULT, request: 976, details: { progress: true } }), false, 'the oldest were let go');
    assert.equal(forgotten.drops({ type: MessageType.RESULT, request: 977, details: { progress: true } }), true);
  });
});
