import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PatternTable } from './pattern-table.js';

describe('pattern table', () => {
  it('routes a call as the spec says: exact, then longest prefix, then best wildcard', () => {
    const table = new PatternTable<string>();
    table.set('a1.b2.c3.d4.e55', 'exact', '1');
    table.set('a1.b2.c3', 'prefix', '2');
    table.set('a1.b2.c3.d4', 'prefix', '3');
    table.set('a1.b2..d4.e5', 'wildcard', '4');
    table.set('a1.b2.c3..e5', 'wildcard', '5');
    table.set('a1.b2..d4.e5..g7', 'wildcard', '6');
    table.set('a1.b2..d4..f6.g7', 'wildcard', '7');
    assert.equal(table.best('a1.b2.c3.d4.e55'), '1');
    assert.equal(table.best('a1.b2.c3.d98.e74'), '2');
    assert.equal(table.best('a1.b2.c3.d4.e325'), '3');
    assert.equal(table.best('a1.b2.c55.d4.e5'), '4');
    // The spec's example list expects 5 here, but by its own prefix rule 'a1.b2.c3.d4' matches this URI,
    // and a prefix match beats any wildcard match.
    assert.equal(table.best('a1.b2.c3.d4.e5'), '3');
    assert.equal(table.best('a1.b2.c88.d4.e5.f6.g7'), '6');
    assert.equal(table.best('a2.b2.c2.d2.e2'), undefined);
  });

  it('collects every matching pattern of every policy for a publication', () => {
    const table = new PatternTable<string>();
    table.set('com.myapp.update', 'exact', 'exact');
    table.set('com.myapp', 'prefix', 'prefix');
    table.set('com..update', 'wildcard', 'wildcard');
    table.set('org', 'prefix', 'other');
    assert.deepEqual(table.matches('com.myapp.update'), ['exact', 'prefix', 'wildcard']);
    assert.equal(table.hasPatterns, true);
  });

  it('keeps the same URI apart under different policies', () => {
    const table = new PatternTable<string>();
    table.set('com.myapp', 'exact', 'e');
    table.set('com.myapp', 'prefix', 'p');
    assert.equal(table.get('com.myapp', 'exact'), 'e');
    assert.equal(table.get('com.myapp', 'prefix'), 'p');
    assert.equal(table.get('com.myapp', 'wildcard'), undefined);
    table.delete('com.myapp', 'prefix');
    assert.equal(table.hasPatterns, false);
    assert.deepEqual(table.matches('com.myapp'), ['e']);
  });
});
