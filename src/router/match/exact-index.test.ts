import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExactIndex } from './exact-index.js';
import { behavesLikeMatchIndex } from './match-index.suite.js';

behavesLikeMatchIndex(() => new ExactIndex<string>());

describe('exact index', () => {
  it('matches only the identical URI', () => {
    const index = new ExactIndex<string>();
    index.set('com.myapp.topic', 't');
    const found: string[] = [];
    for (const uri of ['com.myapp.topic', 'com.myapp.topic.sub', 'com.myapp', 'com.myapp.topi']) index.collect(uri, found);
    assert.deepEqual(found, ['t']);
  });
});
