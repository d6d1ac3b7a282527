import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { behavesLikeMatchIndex, matchesOf } from './match-index.suite.js';
import { WildcardIndex } from './wildcard-index.js';

behavesLikeMatchIndex(() => new WildcardIndex<string>());

describe('wildcard index', () => {
  it('matches whole components, with as many components as the pattern', () => {
    const index = new WildcardIndex<string>();
    index.set('com.myapp..myprocedure1', 'w');
    assert.deepEqual(matchesOf(index, 'com.myapp.myobject1.myprocedure1'), ['w']);
    assert.deepEqual(matchesOf(index, 'com.myapp.myobject2.myprocedure1'), ['w']);
    for (const uri of ['com.myapp.myobject1.myprocedure1.mysubprocedure1', 'com.myapp.myobject1.myprocedure2',
      'com.myapp2.myobject1.myprocedure1', 'com.myapp.myprocedure1']) {
      assert.deepEqual(matchesOf(index, uri), [], uri);
    }
  });

  it('follows the spec precedence: the longest concrete run before each wildcard wins', () => {
    const index = new WildcardIndex<string>();
    // The wildcard registrations 4-7 of the spec's example.
    index.set('a1.b2..d4.e5', '4');
    index.set('a1.b2.c3..e5', '5');
    index.set('a1.b2..d4.e5..g7', '6');
    index.set('a1.b2..d4..f6.g7', '7');
    assert.equal(index.best('a1.b2.c55.d4.e5'), '4');
    assert.equal(index.best('a1.b2.c3.d4.e5'), '5');
    assert.equal(index.best('a1.b2.c88.d4.e5.f6.g7'), '6');
    assert.equal(index.best('a2.b2.c2.d2.e2'), undefined);
  });

  it('prefers a later wildcard at the first position where two patterns differ', () => {
    const index = new WildcardIndex<string>();
    index.set('..c', 'all-but-last');
    index.set('a..', 'first-only');
    index.set('.b.c', 'last-two');
    assert.equal(index.best('a.b.c'), 'first-only');
    index.delete('a..');
    assert.equal(index.best('a.b.c'), 'last-two');
    assert.deepEqual(matchesOf(index, 'a.b.c'), ['all-but-last', 'last-two']);
  });

  it('prunes branches that lead nowhere after deletions', () => {
    const index = new WildcardIndex<string>();
    index.set('com..update', 'a');
    index.set('com.x.update', 'b');
    index.set('com..delete', 'c');
    index.delete('com..update');
    index.delete('com..delete');
    assert.equal(index.nodeCount(), 3, 'only com.x.update remains');
    index.delete('com.x.update');
    assert.equal(index.nodeCount(), 0);
  });
});
