import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uriMatches, type MatchPolicy } from '../../protocol/uri.js';
import type { MatchIndex } from './match-index.js';

/**
 * The behaviour every match index shares, checked against the reference rule `uriMatches` of
 * protocol/uri.ts over a generated corpus. Each index's own test file runs it.
 */

/** The values of every pattern that matches `uri`, sorted. */
export function matchesOf(index: MatchIndex<string>, uri: string): string[] {
  const found: string[] = [];
  index.collect(uri, found);
  return found.sort();
}

/** A small deterministic generator (mulberry32), so that a failing corpus is reproducible. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const components = ['a', 'b', 'ab', 'c1', 'x'];

function generateUri(random: () => number, emptyComponents: boolean): string {
  const length = 1 + Math.floor(random() * 4);
  const parts: string[] = [];
  for (let i = 0; i < length; i++) {
    parts.push(emptyComponents && random() < 0.35 ? '' : components[Math.floor(random() * components.length)]!);
  }
  // A wildcard pattern needs at least one concrete component to be useful, but "." and ".." are legal too.
  return parts.join('.');
}

function generatePattern(random: () => number, policy: MatchPolicy): string {
  const uri = generateUri(random, policy === 'wildcard');
  // Prefix patterns are string prefixes: cut some in the middle of a component.
  if (policy === 'prefix' && random() < 0.3 && uri.length > 1) return uri.slice(0, 1 + Math.floor(random() * (uri.length - 1)));
  return uri;
}

export function behavesLikeMatchIndex(create: () => MatchIndex<string>): void {
  const policy = create().policy;

  describe(`${policy} index: shared match index behaviour`, () => {
    it('stores, replaces and deletes values under patterns', () => {
      const index = create();
      const patterns = policy === 'wildcard' ? ['com..update', 'com.myapp.update', '.x'] : ['com.myapp', 'com.myapp.topic', 'org'];
      patterns.forEach((pattern, i) => index.set(pattern, `v${i}`));
      assert.equal(index.size, 3);
      assert.equal(index.get(patterns[0]!), 'v0');
      index.set(patterns[0]!, 'replaced');
      assert.equal(index.size, 3, 'replacing does not add');
      assert.equal(index.get(patterns[0]!), 'replaced');
      assert.equal(index.get('not.there'), undefined);
      assert.equal(index.delete(patterns[1]!), true);
      assert.equal(index.delete(patterns[1]!), false, 'a second delete finds nothing');
      assert.equal(index.get(patterns[1]!), undefined);
      assert.equal(index.get(patterns[2]!), 'v2', 'other patterns stay');
      assert.deepEqual([...index.values()].sort(), ['replaced', 'v2']);
      assert.equal(index.size, 2);
    });

    it('finds exactly the patterns the reference rule matches, before and after deletions', () => {
      const random = seeded(policy.length * 7919);
      const index = create();
      const stored = new Set<string>();
      for (let i = 0; i < 300; i++) {
        const pattern = generatePattern(random, policy);
        index.set(pattern, pattern);
        stored.add(pattern);
      }
      const uris = Array.from({ length: 400 }, () => generateUri(random, false));
      const check = (when: string): void => {
        for (const uri of uris) {
          const expected = [...stored].filter((pattern) => uriMatches(pattern, policy, uri)).sort();
          const found: string[] = [];
          index.collect(uri, found);
          assert.deepEqual(found.sort(), expected, `${when}: matches of "${uri}"`);
          const best = index.best(uri);
          if (expected.length === 0) assert.equal(best, undefined, `${when}: no best match for "${uri}"`);
          else assert.ok(best !== undefined && expected.includes(best), `${when}: best match of "${uri}" is one of the matches`);
        }
      };
      check('all stored');
      let keep = true;
      for (const pattern of [...stored]) {
        keep = !keep;
        if (keep) continue;
        assert.equal(index.delete(pattern), true);
        stored.delete(pattern);
      }
      assert.equal(index.size, stored.size);
      check('half deleted');
      for (const pattern of stored) index.delete(pattern);
      stored.clear();
      assert.equal(index.size, 0);
      check('all deleted');
    });

    it('collects nothing and has no best match when empty', () => {
      const index = create();
      const found: string[] = [];
      index.collect('com.myapp.topic', found);
      assert.deepEqual(found, []);
      assert.equal(index.best('com.myapp.topic'), undefined);
    });
  });
}
