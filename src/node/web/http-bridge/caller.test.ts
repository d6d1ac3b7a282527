import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callerAnswer } from './caller.js';

describe("callerAnswer: a call's result in Crossbar's caller shape", () => {
  it('keeps args alone, and kwargs beside them when there are some', () => {
    assert.deepEqual(callerAnswer([3], {}), { args: [3] });
    assert.deepEqual(callerAnswer(['a', 'b'], { count: 2 }), { args: ['a', 'b'], kwargs: { count: 2 } });
  });

  it('leaves out empty args when the result is kwargs only', () => {
    assert.deepEqual(callerAnswer([], { total: 7 }), { kwargs: { total: 7 } });
  });

  it('answers a result with neither as a single null, as Autobahn|Python reads it', () => {
    assert.deepEqual(callerAnswer([], {}), { args: [null] });
  });
});
