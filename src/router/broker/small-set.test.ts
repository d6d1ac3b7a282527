import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SmallSet } from './small-set.js';

describe('SmallSet', () => {
  it('holds one member, then many, then none, in insertion order', () => {
    const set = new SmallSet<object>();
    const [a, b, c] = [{}, {}, {}];
    assert.equal(set.size, 0);
    assert.deepEqual([...set], []);
    set.add(a);
    set.add(a);
    assert.equal(set.size, 1);
    assert.ok(set.has(a) && !set.has(b));
    assert.deepEqual([...set], [a]);
    set.add(b);
    set.add(c);
    assert.deepEqual([...set], [a, b, c]);
    set.delete(b);
    assert.deepEqual([...set], [a, c]);
    assert.ok(!set.has(b));
    set.delete(a);
    set.delete(c);
    assert.equal(set.size, 0);
    set.add(b);
    assert.deepEqual([...set], [b]);
  });

  it('skips a member deleted while it is iterated, as a Set does', () => {
    const set = new SmallSet<number>();
    for (const n of [1, 2, 3]) set.add(n);
    const seen: number[] = [];
    for (const n of set) {
      seen.push(n);
      if (n === 1) set.delete(2);
    }
    assert.deepEqual(seen, [1, 3]);
  });

  it('behaves as a Set under any sequence of adds and deletes', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 4 })), { maxLength: 40 }), (steps) => {
      const small = new SmallSet<number>();
      const reference = new Set<number>();
      for (const [add, n] of steps) {
        if (add) {
          small.add(n);
          reference.add(n);
        } else {
          small.delete(n);
          reference.delete(n);
        }
        assert.equal(small.size, reference.size);
        assert.deepEqual([...small], [...reference]);
        for (let k = 0; k <= 4; k++) assert.equal(small.has(k), reference.has(k));
      }
    }));
  });
});
