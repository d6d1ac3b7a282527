import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OwnPublications } from './no-local.js';

describe('No Local: the events of a client\'s own publications', () => {
  it('pass at once while none of its publications is with the router', () => {
    const own = new OwnPublications<string>(() => assert.fail('nothing waited'));
    assert.equal(own.hold(1, 'a'), false);
  });

  it('wait while one is; at each answer, those that came before it go on in order, without the answered publication\'s own', () => {
    const passed: string[] = [];
    const own = new OwnPublications<string>((item) => passed.push(item));
    own.sent();
    own.sent();
    assert.equal(own.hold(7, 'own first'), true);
    assert.equal(own.hold(3, 'another client'), true);
    own.answered(7);
    assert.deepEqual(passed, ['another client']);
    assert.equal(own.hold(8, 'own second'), true, 'the second is still with the router');
    assert.equal(own.hold(4, 'another again'), true);
    own.answered(8);
    assert.deepEqual(passed, ['another client', 'another again']);
    assert.equal(own.hold(9, 'later'), false);
  });

  it('let every waiting event go when the router refuses the publication (nothing of it was delivered)', () => {
    const passed: string[] = [];
    const own = new OwnPublications<string>((item) => passed.push(item));
    own.sent();
    own.hold(4, 'another client');
    own.hold(5, 'and another');
    own.answered(undefined);
    assert.deepEqual(passed, ['another client', 'and another']);
  });
});
