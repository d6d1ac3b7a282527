import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { MatchPolicy } from '../../protocol/uri.js';
import { PatternTable } from './pattern-table.js';
import { outranks, type Pattern } from './precedence.js';

/** The pattern among `patterns` that outranks every other (the one the spec routes a call to). */
function winner(patterns: Pattern[]): Pattern | undefined {
  let best: Pattern | undefined;
  for (const pattern of patterns) if (!best || outranks(pattern, best)) best = pattern;
  return best;
}

describe('precedence of registrations for a call', () => {
  it('ranks exact over prefix over wildcard, the longer prefix, and the concrete component first among wildcards', () => {
    const exact: Pattern = { uri: 'a1.b2.c3.d4', match: 'exact' };
    const short: Pattern = { uri: 'a1.b2', match: 'prefix' };
    const long: Pattern = { uri: 'a1.b2.c3', match: 'prefix' };
    const early: Pattern = { uri: 'a1.b2..d4', match: 'wildcard' };
    const late: Pattern = { uri: 'a1...d4', match: 'wildcard' };
    assert.equal(outranks(exact, long), true);
    assert.equal(outranks(long, exact), false);
    assert.equal(outranks(short, early), true);
    assert.equal(outranks(early, short), false);
    assert.equal(outranks(long, short), true);
    assert.equal(outranks(short, long), false);
    assert.equal(outranks(early, late), true);
    assert.equal(outranks(late, early), false);
    for (const pattern of [exact, long, early]) assert.equal(outranks(pattern, { ...pattern }), false, 'a pattern does not outrank itself');
  });

  it('picks what PatternTable.best picks, for any set of patterns matching a URI', () => {
    const component = fc.constantFrom('a', 'b', 'c');
    const uri = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('.'));
    fc.assert(fc.property(uri, fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), { maxLength: 12 }), (called, shapes) => {
      const parts = called.split('.');
      // Patterns that match `called`: the URI itself, its component prefixes, and wildcards blanking some of its components.
      const patterns: Pattern[] = [];
      const add = (pattern: Pattern): void => {
        if (!patterns.some((p) => p.uri === pattern.uri && p.match === pattern.match)) patterns.push(pattern);
      };
      for (const shape of shapes) {
        const kind: MatchPolicy = shape.length === 1 ? 'exact' : shape.length === 2 ? 'prefix' : 'wildcard';
        if (kind === 'exact') add({ uri: called, match: 'exact' });
        else if (kind === 'prefix') add({ uri: parts.slice(0, 1 + (shape.filter(Boolean).length % parts.length)).join('.'), match: 'prefix' });
        else add({ uri: parts.map((part, i) => (shape[i % shape.length] ? part : '')).join('.'), match: 'wildcard' });
      }
      const table = new PatternTable<Pattern>();
      for (const pattern of patterns) table.set(pattern.uri, pattern.match, pattern);
      assert.equal(winner(patterns), table.best(called));
    }));
  });
});
