import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../../protocol/codes.js';
import type { Dict } from '../../protocol/messages.js';
import { allRoles, onlyMessage, RouterHarness } from '../../../test/support/router-harness.js';

/**
 * Calls that end well: progressive call invocations, and every race between the caller, the
 * callee and the clock. Timeouts use the harness's manual clock; nothing here waits.
 */

const streamingRoles: Dict = {
  ...allRoles,
  caller: { features: { progressive_call_results: true, progressive_call_invocations: true, call_canceling: true } },
  callee: { features: { progressive_call_results: true, progressive_call_invocations: true, call_canceling: true } },
};

async function setUp(calleeRoles: Dict = streamingRoles) {
  const h = new RouterHarness();
  const callee = await h.join(calleeRoles);
  callee.peer.raw([T.REGISTER, 1, {}, 'com.upload']);
  const { registration } = onlyMessage(callee.peer.take(), T.REGISTERED);
  const caller = await h.join(streamingRoles);
  const dealer = h.router.realm('realm1')!.dealer;
  return { h, callee, caller, registration, dealer };
}

describe('dealer - progressive call invocations', () => {
  it('is announced in WELCOME', async () => {
    const { welcome } = await new RouterHarness().join();
    const features = (welcome.roles as Record<string, { features: Record<string, boolean> }>).dealer!.features;
    assert.equal(features.progressive_call_invocations, true);
    assert.equal(features.call_canceling, true);
  });

  it('streams every chunk into the same INVOCATION request, with the first CALL\'s options frozen', async () => {
    const { callee, caller, registration } = await setUp();
    caller.peer.raw([T.CALL, 9, { progress: true, disclose_me: true, receive_progress: true, timeout: 1000 }, 'com.upload', ['chunk1']]);
    caller.peer.raw([T.CALL, 9, { progress: true }, 'com.upload', ['chunk2']]);
    caller.peer.raw([T.CALL, 9, {}, 'com.upload', ['last']]);
    const invocations = callee.peer.take();
    assert.equal(invocations.length, 3);
    const request = (invocations[0] as { request: number }).request;
    invocations.forEach((invocation, i) => {
      assert.ok(invocation.type === T.INVOCATION);
      assert.equal(invocation.request, request, 'one INVOCATION request ID for the whole call');
      assert.equal(invocation.registration, registration);
      assert.equal(invocation.details.progress, i < 2 ? true : undefined);
      assert.equal(invocation.details.caller, caller.id, 'disclose_me of the first CALL holds for every chunk');
      assert.equal(invocation.details.receive_progress, true);
      assert.equal(invocation.details.timeout, 1000);
    });
    assert.deepEqual(invocations.map((m) => (m as { args?: unknown[] }).args?.[0]), ['chunk1', 'chunk2', 'last']);
    callee.peer.raw([T.YIELD, request, { progress: true }, ['got 2']]);
    callee.peer.raw([T.YIELD, request, {}, ['done']]);
    const [partial, final] = caller.peer.take();
    assert.ok(partial?.type === T.RESULT && partial.request === 9 && partial.details.progress === true);
    assert.ok(final?.type === T.RESULT && final.request === 9 && final.args?.[0] === 'done');
  });

  it('refuses with wamp.error.feature_not_supported when the callee cannot take chunks, and drops the rest of the stream', async () => {
    const { callee, caller, dealer } = await setUp(allRoles);
    caller.peer.raw([T.CALL, 3, { progress: true }, 'com.upload', [1]]);
    const error = onlyMessage(caller.peer.take(), T.ERROR);
    assert.equal(error.error, 'wamp.error.feature_not_supported');
    assert.equal(error.request, 3);
    caller.peer.raw([T.CALL, 3, { progress: true }, 'com.upload', [2]]);
    caller.peer.raw([T.CALL, 3, {}, 'com.upload', [3]]);
    assert.equal(callee.peer.take().length, 0, 'no chunk, not even the final one, became a call');
    assert.equal(caller.peer.take().length, 0);
    assert.equal(dealer.callsInFlight(), 0);
    caller.peer.raw([T.CALL, 3, {}, 'com.upload', ['fresh']]);
    assert.equal(onlyMessage(callee.peer.take(), T.INVOCATION).args?.[0], 'fresh', 'after the final chunk the request ID is free again');
  });

  it('aborts a CALL that reuses the request ID of a call in flight that is not streaming', async () => {
    const { caller } = await setUp();
    caller.peer.raw([T.CALL, 1, {}, 'com.upload']);
    caller.peer.raw([T.CALL, 1, {}, 'com.upload']);
    const abort = onlyMessage(caller.peer.take(), T.ABORT);
    assert.equal(abort.reason, 'wamp.error.protocol_violation');
    assert.match(String(abort.details.message), /already in use/);
  });
});

describe('dealer - call timeouts', () => {
  it('refuses a timeout longer than a timer can wait (it would fire at once) and sends no INVOCATION', async () => {
    const { callee, caller } = await setUp();
    caller.peer.raw([T.CALL, 1, { timeout: 1e30 }, 'com.upload']);
    const error = onlyMessage(caller.peer.take(), T.ERROR);
    assert.equal(error.error, 'wamp.error.invalid_argument');
    assert.match(String(error.args?.[0]), /"timeout" must be at most 2147483647 ms/);
    assert.equal(callee.peer.take().length, 0);
  });

  it('keeps a call with the longest timeout a timer can wait open', async () => {
    const { h, callee, caller } = await setUp();
    caller.peer.raw([T.CALL, 1, { timeout: 2_147_483_647 }, 'com.upload']);
    onlyMessage(callee.peer.take(), T.INVOCATION);
    h.clock.advance(2_147_483_646);
    assert.equal(caller.peer.take().length, 0);
  });
});

describe('dealer - races', () => {
  it('drops a result that arrives after the timeout, and a cancel after the timeout', async () => {
    const { h, callee, caller, dealer } = await setUp();
    caller.peer.raw([T.CALL, 1, { timeout: 100 }, 'com.upload']);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    h.clock.advance(100);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.timeout');
    assert.equal(onlyMessage(callee.peer.take(), T.INTERRUPT).options.mode, 'killnowait');
    callee.peer.raw([T.YIELD, invocation.request, {}, ['late']]);
    callee.peer.raw([T.ERROR, T.INVOCATION, invocation.request, {}, 'wamp.error.canceled']);
    caller.peer.raw([T.CANCEL, 1, { mode: 'kill' }]);
    assert.equal(caller.peer.take().length, 0, 'the caller got exactly one answer');
    assert.equal(callee.peer.take().length, 0, 'no INTERRUPT for a call that is over');
    assert.equal(dealer.callsInFlight(), 0);
  });

  it('drops a result that arrives after a cancel, and a second cancel', async () => {
    const { callee, caller } = await setUp();
    caller.peer.raw([T.CALL, 1, { receive_progress: true }, 'com.upload']);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    callee.peer.raw([T.YIELD, invocation.request, { progress: true }, ['partial']]);
    assert.equal(onlyMessage(caller.peer.take(), T.RESULT).details.progress, true);
    caller.peer.raw([T.CANCEL, 1, { mode: 'killnowait' }]);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.canceled');
    onlyMessage(callee.peer.take(), T.INTERRUPT);
    callee.peer.raw([T.YIELD, invocation.request, { progress: true }, ['more']]);
    callee.peer.raw([T.YIELD, invocation.request, {}, ['final']]);
    caller.peer.raw([T.CANCEL, 1, {}]);
    assert.equal(caller.peer.take().length, 0);
    assert.equal(callee.peer.take().length, 0);
  });

  it('ignores a cancel of a call that has finished, and does not touch a later call', async () => {
    const { callee, caller } = await setUp();
    caller.peer.raw([T.CALL, 1, {}, 'com.upload']);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    callee.peer.raw([T.YIELD, invocation.request, {}, ['ok']]);
    onlyMessage(caller.peer.take(), T.RESULT);
    caller.peer.raw([T.CALL, 2, {}, 'com.upload']);
    onlyMessage(callee.peer.take(), T.INVOCATION);
    caller.peer.raw([T.CANCEL, 1, { mode: 'kill' }]);
    assert.equal(caller.peer.take().length, 0);
    assert.equal(callee.peer.take().length, 0, 'call 2 is not interrupted');
  });

  it('fails the call when the callee leaves in the middle of progressive results', async () => {
    const { callee, caller, dealer } = await setUp();
    caller.peer.raw([T.CALL, 1, { receive_progress: true }, 'com.upload']);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    callee.peer.raw([T.YIELD, invocation.request, { progress: true }, [1]]);
    callee.peer.link.detach();
    const [partial, error] = caller.peer.take();
    assert.ok(partial?.type === T.RESULT && partial.details.progress === true);
    assert.ok(error?.type === T.ERROR && error.error === 'wamp.error.canceled' && error.request === 1);
    assert.equal(dealer.callsInFlight(), 0);
  });

  it('fails the call when the callee leaves while the caller is streaming, and drops the remaining chunks', async () => {
    const { callee, caller, dealer } = await setUp();
    caller.peer.raw([T.CALL, 1, { progress: true }, 'com.upload', [1]]);
    onlyMessage(callee.peer.take(), T.INVOCATION);
    callee.peer.link.detach();
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.canceled');
    caller.peer.raw([T.CALL, 1, { progress: true }, 'com.upload', [2]]);
    caller.peer.raw([T.CALL, 1, {}, 'com.upload', [3]]);
    assert.equal(caller.peer.take().length, 0, 'no second answer, not even no_such_procedure for the late chunks');
    assert.equal(dealer.callsInFlight(), 0);
  });

  it('interrupts the callee (killnowait) when the caller leaves in the middle of a stream, either way', async () => {
    const { callee, caller, dealer } = await setUp();
    caller.peer.raw([T.CALL, 1, { progress: true }, 'com.upload', [1]]);
    caller.peer.raw([T.CALL, 2, { receive_progress: true }, 'com.upload']);
    const [upload, download] = callee.peer.take();
    assert.ok(upload?.type === T.INVOCATION && download?.type === T.INVOCATION);
    callee.peer.raw([T.YIELD, download.request, { progress: true }, ['partial']]);
    caller.peer.link.detach();
    const interrupts = callee.peer.take();
    assert.deepEqual(interrupts.map((m) => m.type === T.INTERRUPT && [m.request, m.options.mode]).sort(),
      [[upload.request, 'killnowait'], [download.request, 'killnowait']].sort());
    callee.peer.raw([T.YIELD, download.request, {}, ['late']]);
    callee.peer.raw([T.ERROR, T.INVOCATION, upload.request, {}, 'wamp.error.canceled']);
    assert.equal(callee.peer.take().length, 0);
    assert.equal(dealer.callsInFlight(), 0);
  });

  it('times out a progressive call invocation mid-stream and drops the chunks that follow', async () => {
    const { h, callee, caller } = await setUp();
    caller.peer.raw([T.CALL, 1, { progress: true, timeout: 50 }, 'com.upload', [1]]);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    h.clock.advance(50);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.timeout');
    assert.equal(onlyMessage(callee.peer.take(), T.INTERRUPT).request, invocation.request);
    caller.peer.raw([T.CALL, 1, {}, 'com.upload', [2]]);
    assert.equal(callee.peer.take().length, 0);
    assert.equal(caller.peer.take().length, 0);
  });

  it('ends the call when the callee answers before the caller finished streaming', async () => {
    const { callee, caller } = await setUp();
    caller.peer.raw([T.CALL, 1, { progress: true }, 'com.upload', [1]]);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    callee.peer.raw([T.ERROR, T.INVOCATION, invocation.request, {}, 'com.error.too_big']);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'com.error.too_big');
    caller.peer.raw([T.CALL, 1, { progress: true }, 'com.upload', [2]]);
    caller.peer.raw([T.CALL, 1, {}, 'com.upload', [3]]);
    assert.equal(callee.peer.take().length, 0, 'the callee gets no chunk of a call it already ended');
  });

  it('cancels a streaming call and drops the chunks that follow', async () => {
    const { callee, caller } = await setUp();
    caller.peer.raw([T.CALL, 1, { progress: true }, 'com.upload', [1]]);
    onlyMessage(callee.peer.take(), T.INVOCATION);
    caller.peer.raw([T.CANCEL, 1, { mode: 'killnowait' }]);
    assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.canceled');
    assert.equal(onlyMessage(callee.peer.take(), T.INTERRUPT).options.mode, 'killnowait');
    caller.peer.raw([T.CALL, 1, {}, 'com.upload', [2]]);
    assert.equal(callee.peer.take().length, 0);
  });
});

describe('dealer - CANCEL in each mode, as Crossbar does', () => {
  const uninterruptible: Dict = { ...allRoles, callee: { features: { progressive_call_results: true } } };
  /** What each CANCEL options gives, by whether the callee announced call_canceling. */
  const cases: { options: Dict; interruptible: boolean; interrupt?: string; error: boolean }[] = [
    { options: { mode: 'skip' }, interruptible: true, error: false },
    { options: { mode: 'killnowait' }, interruptible: true, interrupt: 'killnowait', error: true },
    { options: {}, interruptible: true, interrupt: 'killnowait', error: true },
    { options: { mode: 'skip' }, interruptible: false, error: false },
    { options: { mode: 'kill' }, interruptible: false, error: false },
    { options: { mode: 'killnowait' }, interruptible: false, error: false },
    { options: {}, interruptible: false, error: false },
  ];
  for (const { options, interruptible, interrupt, error } of cases) {
    it(`${JSON.stringify(options)} to a callee ${interruptible ? 'with' : 'without'} call_canceling: ${interrupt ? `INTERRUPT ${interrupt}, ` : 'no INTERRUPT, '}${error ? 'ERROR at once' : 'nothing for the caller'}; the call ends, a late answer is dropped`, async () => {
      const { callee, caller, dealer } = await setUp(interruptible ? allRoles : uninterruptible);
      caller.peer.raw([T.CALL, 1, { receive_progress: true }, 'com.upload']);
      const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
      caller.peer.raw([T.CANCEL, 1, options]);
      if (interrupt) {
        const sent = onlyMessage(callee.peer.take(), T.INTERRUPT);
        assert.equal(sent.request, invocation.request);
        assert.equal(sent.options.mode, interrupt);
      } else assert.deepEqual(callee.peer.take(), [], 'the callee is not told');
      if (error) {
        const answer = onlyMessage(caller.peer.take(), T.ERROR);
        assert.equal(answer.request, 1);
        assert.equal(answer.error, 'wamp.error.canceled');
      } else assert.deepEqual(caller.peer.take(), [], 'the caller has given up on the call: no answer');
      assert.equal(dealer.callsInFlight(), 0, 'the call ended at the cancel');

      callee.peer.raw([T.YIELD, invocation.request, { progress: true }, ['late progress']]);
      callee.peer.raw([T.YIELD, invocation.request, {}, ['late']]);
      callee.peer.raw([T.ERROR, T.INVOCATION, invocation.request, {}, 'wamp.error.canceled']);
      caller.peer.raw([T.CANCEL, 1, { mode: 'killnowait' }]);
      assert.deepEqual(caller.peer.take(), [], 'the late answers and a second CANCEL give the caller nothing');
      assert.deepEqual(callee.peer.take(), []);
      assert.equal(callee.peer.closed, false, 'the callee\'s late answer is no protocol violation');

      caller.peer.raw([T.CALL, 1, {}, 'com.upload', ['again']]);
      const next = onlyMessage(callee.peer.take(), T.INVOCATION);
      callee.peer.raw([T.YIELD, next.request, {}, ['fine']]);
      assert.deepEqual(onlyMessage(caller.peer.take(), T.RESULT).args, ['fine'], 'the request ID is free for a new call');
    });
  }

  it('kill to a callee with call_canceling: INTERRUPT kill, a second CANCEL ignored, then the callee\'s answer, whatever it is, ends the call', async () => {
    const { callee, caller, dealer } = await setUp(allRoles);
    for (const [request, answer] of [[1, 'error'], [2, 'result']] as const) {
      caller.peer.raw([T.CALL, request, {}, 'com.upload']);
      const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
      caller.peer.raw([T.CANCEL, request, { mode: 'kill' }]);
      assert.equal(onlyMessage(callee.peer.take(), T.INTERRUPT).options.mode, 'kill');
      assert.deepEqual(caller.peer.take(), [], 'kill waits for the callee');
      caller.peer.raw([T.CANCEL, request, { mode: 'killnowait' }]);
      assert.deepEqual([...callee.peer.take(), ...caller.peer.take()], [], 'a second CANCEL is ignored, as Crossbar does');
      assert.equal(dealer.callsInFlight(), 1);
      if (answer === 'error') {
        callee.peer.raw([T.ERROR, T.INVOCATION, invocation.request, {}, 'wamp.error.canceled']);
        assert.equal(onlyMessage(caller.peer.take(), T.ERROR).error, 'wamp.error.canceled');
      } else {
        callee.peer.raw([T.YIELD, invocation.request, {}, ['finished first']]);
        assert.deepEqual(onlyMessage(caller.peer.take(), T.RESULT).args, ['finished first'], 'passed on, as the spec allows');
      }
      assert.equal(dealer.callsInFlight(), 0);
    }
  });
});
