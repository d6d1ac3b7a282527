import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OwnPublications, type NoLocalLimits } from './no-local.js';

const roomy: NoLocalLimits = { maxNoLocalHeld: 1000, maxNoLocalHeldBytes: 1_000_000 };

/** A hold whose items are strings of their own size in bytes; `passed` gets what it lets go, `meter` what it reports. */
function holdOf(limits: NoLocalLimits = roomy) {
  const passed: string[] = [];
  const meter = { events: 0, bytes: 0, overflows: [] as { events: number; bytes: number }[] };
  const own = new OwnPublications<string>((item) => passed.push(item), (item) => item.length, limits, {
    held: (events, bytes) => {
      meter.events += events;
      meter.bytes += bytes;
    },
    overflowed: (events, bytes) => meter.overflows.push({ events, bytes }),
  });
  return { own, passed, meter };
}

describe('No Local: the events of a client\'s own publications', () => {
  it('pass at once while none of its publications is with the router', () => {
    const { own, meter } = holdOf();
    assert.equal(own.hold(1, 'a'), false);
    assert.deepEqual(meter, { events: 0, bytes: 0, overflows: [] });
  });

  it('wait while one is; at each answer, those that came before it go on in order, without the answered publication\'s own', () => {
    const { own, passed, meter } = holdOf();
    own.sent();
    own.sent();
    assert.equal(own.hold(7, 'own first'), true);
    assert.equal(own.hold(3, 'another client'), true);
    assert.deepEqual([meter.events, meter.bytes], [2, 'own first'.length + 'another client'.length]);
    own.answered(7);
    assert.deepEqual(passed, ['another client']);
    assert.deepEqual([meter.events, meter.bytes], [0, 0]);
    assert.equal(own.hold(8, 'own second'), true, 'the second is still with the router');
    assert.equal(own.hold(4, 'another again'), true);
    own.answered(8);
    assert.deepEqual(passed, ['another client', 'another again']);
    assert.equal(own.hold(9, 'later'), false);
  });

  it('let every waiting event go when the router refuses the publication (nothing of it was delivered)', () => {
    const { own, passed } = holdOf();
    own.sent();
    own.hold(4, 'another client');
    own.hold(5, 'and another');
    own.answered(undefined);
    assert.deepEqual(passed, ['another client', 'and another']);
  });

  it('hold at most max_no_local_held events: past it the oldest goes on undecided, in order, reported', () => {
    const { own, passed, meter } = holdOf({ ...roomy, maxNoLocalHeld: 3 });
    own.sent();
    for (const [publication, item] of [[1, 'a'], [2, 'b'], [3, 'c'], [4, 'd'], [5, 'e']] as const) assert.equal(own.hold(publication, item), true);
    assert.deepEqual(passed, ['a', 'b']);
    assert.equal(meter.events, 3);
    assert.deepEqual(meter.overflows, [{ events: 3, bytes: 3 }, { events: 3, bytes: 3 }]);
    own.answered(4);
    assert.deepEqual(passed, ['a', 'b', 'c', 'e'], 'the answered publication\'s own is still dropped when it was held');
    assert.deepEqual([meter.events, meter.bytes], [0, 0]);
  });

  it('hold at most max_no_local_held_bytes, though one event alone whatever its size', () => {
    const { own, passed, meter } = holdOf({ ...roomy, maxNoLocalHeldBytes: 10 });
    own.sent();
    own.hold(1, 'x'.repeat(6));
    own.hold(2, 'y'.repeat(4));
    assert.deepEqual(passed, []);
    own.hold(3, 'z'.repeat(2));
    assert.deepEqual(passed, ['x'.repeat(6)]);
    own.hold(4, 'w'.repeat(50));
    assert.deepEqual(passed, ['x'.repeat(6), 'y'.repeat(4), 'z'.repeat(2)]);
    assert.deepEqual([meter.events, meter.bytes], [1, 50]);
    assert.equal(meter.overflows.length, 3);
  });

  it('let go what waits, unsent, when the session ends', () => {
    const { own, passed, meter } = holdOf();
    own.sent();
    own.hold(1, 'a');
    own.hold(2, 'bb');
    own.drop();
    assert.deepEqual([meter.events, meter.bytes], [0, 0]);
    own.answered(1);
    assert.deepEqual(passed, []);
  });
});
