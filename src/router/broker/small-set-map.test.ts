import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SmallSetMap } from './small-set-map.js';

const items = Array.from({ length: 12 }, (_, index) => ({ index }));
const keys = ['a', 'b', 'c'];

describe('SmallSetMap', () => {
  it('behaves as a map of Sets under any sequence of adds, deletes and takes (sizes 0 to 12 cross every form)', () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), key: fc.constantFrom(...keys), item: fc.nat(11) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom(...keys), item: fc.nat(11) }),
      fc.record({ kind: fc.constant('take' as const), key: fc.constantFrom(...keys), item: fc.constant(0) }),
    );
    fc.assert(fc.property(fc.array(operation, { maxLength: 200 }), (operations) => {
      const map = new SmallSetMap<string, { index: number }>();
      const model = new Map<string, Set<{ index: number }>>();
      for (const { kind, key, item } of operations) {
        const value = items[item]!;
        const expected = model.get(key) ?? new Set();
        if (kind === 'add') {
          map.add(key, value);
          model.set(key, expected.add(value));
        } else if (kind === 'delete') {
          map.delete(key, value);
          expected.delete(value);
        } else {
          assert.deepEqual(new Set(map.take(key)), expected);
          model.delete(key);
        }
        assert.equal(map.keyCount, [...model.values()].filter((set) => set.size > 0).length, 'a key without values is forgotten');
        for (const each of keys) {
          const want = model.get(each) ?? new Set();
          assert.equal(map.size(each), want.size);
          assert.deepEqual(new Set(map.values(each)), want);
          assert.equal([...map.values(each)].length, want.size, 'no value twice');
          for (const candidate of items) assert.equal(map.has(each, candidate), want.has(candidate));
        }
      }
    }), { numRuns: 300 });
  });

  it('forgets a key whose last value goes, in each form', () => {
    for (const count of [1, 2, 9]) {
      const map = new SmallSetMap<string, { index: number }>();
      for (const item of items.slice(0, count)) map.add('a', item);
      for (const item of items.slice(0, count)) map.delete('a', item);
      assert.equal(map.keyCount, 0, `${count} values`);
    }
  });
});
