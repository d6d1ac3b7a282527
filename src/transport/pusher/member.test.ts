import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memberOf, memberSizeProblem } from './member.js';

const limits = { maxUserIdLength: 5, maxUserInfoSize: 12 };

describe('presence members', () => {
  it('reads user_id (a string or a number) and user_info', () => {
    assert.deepEqual(memberOf({ user_id: 'ab' }), { user_id: 'ab' });
    assert.deepEqual(memberOf({ user_id: 42, user_info: { n: 'x' } }), { user_id: '42', user_info: { n: 'x' } });
  });

  it('finds no member without a usable user_id', () => {
    for (const value of [undefined, null, [], 'x', {}, { user_id: '' }, { user_id: Infinity }, { user_id: true }]) {
      assert.equal(memberOf(value), undefined);
    }
  });

  it('admits a user_id and user_info at the limits and refuses them one past, naming the option', () => {
    assert.equal(memberSizeProblem({ user_id: '12345' }, limits), undefined);
    assert.equal(memberSizeProblem({ user_id: '123456' }, limits), '"user_id" has 6 characters, more than max_user_id_length (5)');
    // {"n":"1234"} is 12 bytes; "é" is 2 bytes of UTF-8.
    assert.equal(memberSizeProblem({ user_id: 'a', user_info: { n: '1234' } }, limits), undefined);
    assert.equal(memberSizeProblem({ user_id: 'a', user_info: { n: '123é' } }, limits), '"user_info" has 13 bytes of JSON, more than max_user_info_size (12)');
  });
});
