import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MAX_NESTING_DEPTH } from '../codec/nesting.js';
import { configDocument, loadDocument, problemsOf } from './test-support.js';

describe('router max_nesting_depth', () => {
  it('absent: the default, 100 levels', () => {
    assert.equal(DEFAULT_MAX_NESTING_DEPTH, 100);
    assert.equal(loadDocument(configDocument({})).maxNestingDepth, 100);
  });

  it('given: used as it is', () => {
    assert.equal(loadDocument(configDocument({ max_nesting_depth: 32 })).maxNestingDepth, 32);
  });

  it('out of range or not a whole number: an error saying what is allowed', () => {
    assert.deepEqual(problemsOf(configDocument({ max_nesting_depth: 1 })),
      ['workers[0].max_nesting_depth: expected at least 2 levels (a WAMP message is a list holding its dicts and lists)']);
    assert.deepEqual(problemsOf(configDocument({ max_nesting_depth: 5_000 })),
      ['workers[0].max_nesting_depth: expected at most 1000 levels (deeper payloads cannot be re-encoded safely)']);
    assert.deepEqual(problemsOf(configDocument({ max_nesting_depth: 'deep' })),
      ['workers[0].max_nesting_depth: expected a whole number of levels from 2 to 1000']);
  });
});
