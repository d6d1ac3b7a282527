import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { behavesLikeMatchIndex, matchesOf } from './match-index.suite.js';
import { PrefixTrie } from './prefix-trie.js';

behavesLikeMatchIndex(() => new PrefixTrie<string>());

describe('prefix trie', () => {
  it('matches by string prefix, as the spec examples show', () => {
    const trie = new PrefixTrie<string>();
    trie.set('com.myapp.myobject1', 'p');
    for (const uri of ['com.myapp.myobject1.myprocedure1', 'com.myapp.myobject1-mysubobject1',
      'com.myapp.myobject1.mysubobject1.myprocedure1', 'com.myapp.myobject1']) {
      assert.deepEqual(matchesOf(trie, uri), ['p'], uri);
    }
    for (const uri of ['com.myapp.myobject2', 'com.myapp.myobject']) assert.deepEqual(matchesOf(trie, uri), [], uri);
  });

  it('gives the longest matching prefix the precedence', () => {
    const trie = new PrefixTrie<string>();
    trie.set('a1.b2.c3', 'short');
    trie.set('a1.b2.c3.d4', 'long');
    trie.set('a1', 'shortest');
    assert.equal(trie.best('a1.b2.c3.d98.e74'), 'short');
    assert.equal(trie.best('a1.b2.c3.d4.e325'), 'long');
    assert.equal(trie.best('a1.zz'), 'shortest');
    assert.equal(trie.best('a2'), undefined);
    assert.deepEqual(matchesOf(trie, 'a1.b2.c3.d4.e5'), ['long', 'short', 'shortest']);
  });

  it('splits edges where patterns diverge and merges them back when patterns go', () => {
    const trie = new PrefixTrie<string>();
    trie.set('com.example.alpha', 'alpha');
    assert.equal(trie.nodeCount(), 1);
    trie.set('com.example.beta', 'beta');
    trie.set('com.ex', 'ex');
    assert.equal(trie.get('com.example.'), undefined, 'an inner node made by a split holds no value');
    assert.equal(trie.get('com.ex'), 'ex');
    assert.deepEqual(matchesOf(trie, 'com.example.beta.1'), ['beta', 'ex']);
    trie.delete('com.example.alpha');
    trie.delete('com.ex');
    assert.equal(trie.nodeCount(), 1, 'one pattern left: one node again');
    assert.equal(trie.get('com.example.beta'), 'beta');
    trie.delete('com.example.beta');
    assert.equal(trie.nodeCount(), 0);
  });

  it('keeps a pattern that is a prefix of another when the longer one goes', () => {
    const trie = new PrefixTrie<string>();
    trie.set('news', 'news');
    trie.set('news.sport', 'sport');
    trie.delete('news.sport');
    assert.deepEqual(matchesOf(trie, 'news.sport.football'), ['news']);
    assert.equal(trie.nodeCount(), 1);
  });
});
