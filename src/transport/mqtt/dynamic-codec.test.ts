import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProcedureCaller } from '../../auth/caller.js';
import type { Args, Dict } from '../../protocol/messages.js';
import { InternalCallError } from '../../router/internal-session.js';
import { silentLogger } from '../../router/log.js';
import { CodecFailure, DynamicCodecs } from './dynamic-codec.js';
import type { DynamicFormat } from './payload-mapping.js';

const format: DynamicFormat = { type: 'dynamic', encoder: 'com.example.encode', decoder: 'com.example.decode', realm: 'codecs' };

/** A caller that answers each call with `answer` and records what it was asked. */
function fakeCaller(answer: (procedure: string, args: Args) => Promise<{ args: Args; kwargs: Dict }>) {
  const calls: { where: { realm: string; role: string }; procedure: string; args: Args }[] = [];
  const caller: ProcedureCaller = { call: (where, procedure, args) => (calls.push({ where, procedure, args }), answer(procedure, args)) };
  return { caller, calls };
}

function codecsWith(caller: ProcedureCaller, maxCalls = 10) {
  const failures: string[] = [];
  const inFlight: number[] = [];
  const codecs = new DynamicCodecs(caller, maxCalls, {
    failures: { inc: ({ direction, reason }) => failures.push(`${direction}:${reason}`) },
    inFlight: { set: (value) => inFlight.push(value) },
  }, silentLogger);
  return { codecs, failures, inFlight };
}

const returns = (value: unknown) => () => Promise.resolve({ args: [value], kwargs: {} });

describe('dynamic payload codecs (Crossbar\'s encoder and decoder procedures)', () => {
  it('calls the decoder with (WAMP topic, MQTT topic, payload) as the trusted role of the format\'s realm; null args or kwargs mean none', async () => {
    const { caller, calls } = fakeCaller(returns({ args: [1], kwargs: null }));
    const { codecs, inFlight } = codecsWith(caller);
    const payload = new Uint8Array([1, 2]);
    assert.deepEqual(await codecs.decode(format, 'a.b', 'a/b', payload), { args: [1] });
    assert.deepEqual(calls, [{ where: { realm: 'codecs', role: 'trusted' }, procedure: 'com.example.decode', args: ['a.b', 'a/b', payload] }]);
    assert.deepEqual(inFlight, [1, 0]);
    const { codecs: kwargsOnly } = codecsWith(fakeCaller(returns({ args: null, kwargs: { on: true } })).caller);
    assert.deepEqual(await kwargsOnly.decode(format, 'a.b', 'a/b', payload), { args: [], kwargs: { on: true } });
    const { codecs: routed } = codecsWith(fakeCaller(returns({ args: [1], kwargs: null, exclude: [2], eligible: null })).caller);
    assert.deepEqual(await routed.decode(format, 'a.b', 'a/b', payload), { args: [1], routing: { exclude: [2] } });
  });

  it('refuses a decoder answer that is not {"args", "kwargs"}, counted as "result"', async () => {
    for (const answer of [returns([1]), returns({ args: [1], retain: true }), returns({ args: 'x' }), () => Promise.resolve({ args: [1, 2], kwargs: {} })]) {
      const { codecs, failures } = codecsWith(fakeCaller(answer).caller);
      await assert.rejects(codecs.decode(format, 'a', 'a', new Uint8Array()), (error: Error) => error instanceof CodecFailure && error.reason === 'result');
      assert.deepEqual(failures, ['decode:result']);
    }
  });

  it('names a callee error "error" and the router\'s timeout or cancel "timeout"', async () => {
    const failing = (uri: string) => () => Promise.reject(new InternalCallError(uri, ['no']));
    for (const [uri, reason] of [['wamp.error.no_such_procedure', 'error'], ['wamp.error.timeout', 'timeout'], ['wamp.error.canceled', 'timeout']] as const) {
      const { codecs, failures } = codecsWith(fakeCaller(failing(uri)).caller);
      await assert.rejects(codecs.decode(format, 'a', 'a', new Uint8Array()), (error: Error) => error instanceof CodecFailure && error.reason === reason);
      assert.deepEqual(failures, [`decode:${reason}`]);
    }
  });

  it('encodes with (MQTT topic, WAMP topic, args, kwargs) once per event; a string is sent as UTF-8, anything but bytes or a string is refused', async () => {
    const { caller, calls } = fakeCaller(returns('é'));
    const { codecs } = codecsWith(caller);
    const args = [1];
    const first = codecs.encode(format, 'a.b', 'a/b', args, {});
    assert.equal(codecs.encode(format, 'a.b', 'a/b', args, {}) === first, false, 'another kwargs object is another event');
    const kwargs = { k: 1 };
    const once = codecs.encode(format, 'a.b', 'a/b', args, kwargs);
    assert.equal(codecs.encode(format, 'a.b', 'a/b', args, kwargs), once);
    assert.deepEqual([...await first], [0xc3, 0xa9]);
    assert.deepEqual(calls.map((call) => call.args), [['a/b', 'a.b', [1], null], ['a/b', 'a.b', [1], null], ['a/b', 'a.b', [1], { k: 1 }]]);
    const { codecs: bad, failures } = codecsWith(fakeCaller(returns(42)).caller);
    await assert.rejects(bad.encode(format, 'a', 'a', [1], undefined), /must return bytes or a string, not number/);
    assert.deepEqual(failures, ['encode:result']);
  });

  it('refuses a call past max_codec_calls in flight, counted as "limit", and takes calls again once they finish', async () => {
    let finish = (): void => {};
    const { caller } = fakeCaller(() => new Promise((resolve) => { finish = () => resolve({ args: [{ args: [] }], kwargs: {} }); }));
    const { codecs, failures } = codecsWith(caller, 1);
    const first = codecs.decode(format, 'a', 'a', new Uint8Array());
    await assert.rejects(codecs.decode(format, 'a', 'a', new Uint8Array()), /1 encoder and decoder calls are in flight for this transport \(max_codec_calls\)/);
    assert.deepEqual(failures, ['decode:limit']);
    finish();
    await first;
    const again = codecs.decode(format, 'a', 'a', new Uint8Array());
    finish();
    assert.deepEqual(await again, { args: [] });
  });
});
