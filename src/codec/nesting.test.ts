import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nestsDeeperThan, tooDeepMessage } from './nesting.js';

/** [[[...x...]]] with `levels` lists in all. */
function nested(levels: number, inner: unknown = 1): unknown {
  let value = inner;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

describe('nestsDeeperThan', () => {
  test('counts the message itself as level 1; scalars and bytes add no level', () => {
    assert.equal(nestsDeeperThan([16, 1, 't'], 1), false);
    assert.equal(nestsDeeperThan([16, 1, {}, 't'], 1), true);
    assert.equal(nestsDeeperThan([16, 1, { a: 1 }, 't'], 2), false);
    assert.equal(nestsDeeperThan([16, 1, {}, 't', [new Uint8Array(4)]], 2), false);
  });

  test('exactly at the limit passes, one more level fails, through lists and dicts alike', () => {
    assert.equal(nestsDeeperThan(nested(100), 100), false);
    assert.equal(nestsDeeperThan(nested(101), 100), true);
    let dicts: unknown = 1;
    for (let i = 0; i < 50; i++) dicts = { k: [dicts] };
    assert.equal(nestsDeeperThan(dicts, 100), false);
    assert.equal(nestsDeeperThan([dicts], 100), true);
  });

  test('finds a deep branch beside shallow ones', () => {
    assert.equal(nestsDeeperThan([1, [2], { a: [3] }, [[nested(10)]]], 12), true);
    assert.equal(nestsDeeperThan([1, [2], { a: [3] }, [[nested(10)]]], 13), false);
  });

  test('walks a million levels without overflowing the stack', () => {
    assert.equal(nestsDeeperThan(nested(1_000_000), 100), true);
  });

  test('a frame no longer than the limit is not walked: each level takes at least one octet', () => {
    assert.equal(nestsDeeperThan(nested(10), 5, 5), false);
    assert.equal(nestsDeeperThan(nested(10), 5, 20), true);
  });

  test('the refusal names the limit and the setting', () => {
    assert.match(tooDeepMessage(64), /more than 64 levels deep \(the router's max_nesting_depth\)/);
  });
});
