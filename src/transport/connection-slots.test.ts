import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionSlots, type Slot, type SlotRefusal } from './connection-slots.js';

function held(result: Slot | SlotRefusal): Slot {
  assert.equal(typeof result, 'object', `expected a slot, got ${String(result)}`);
  return result as Slot;
}

describe('connection slots', () => {
  it('refuses a key past its share, and gives the slot again once one is released', () => {
    const slots = new ConnectionSlots({ total: 10, perKey: 2 });
    const first = held(slots.acquire('10.0.0.1'));
    held(slots.acquire('10.0.0.1'));
    assert.equal(slots.acquire('10.0.0.1'), 'address_full');
    held(slots.acquire('10.0.0.2'));
    assert.equal(slots.count('10.0.0.1'), 2);
    assert.equal(slots.total, 3);
    first.release();
    assert.equal(slots.count('10.0.0.1'), 1);
    held(slots.acquire('10.0.0.1'));
  });

  it('take holds a slot without a release object: give returns it', () => {
    const slots = new ConnectionSlots({ total: 0, perKey: 2 });
    assert.equal(slots.take('10.0.0.1'), undefined);
    assert.equal(slots.take('10.0.0.1'), undefined);
    assert.equal(slots.take('10.0.0.1'), 'address_full');
    assert.equal(slots.acquire('10.0.0.1'), 'address_full', 'take and acquire count the same slots');
    slots.give('10.0.0.1');
    assert.equal(slots.count('10.0.0.1'), 1);
    assert.equal(slots.take('10.0.0.1'), undefined);
    slots.give('10.0.0.1');
    slots.give('10.0.0.1');
    assert.equal(slots.keys, 0);
    assert.equal(slots.total, 0);
  });

  it('refuses everyone once the service is full, service_full before address_full', () => {
    const slots = new ConnectionSlots({ total: 2, perKey: 1 });
    const a = held(slots.acquire('a'));
    held(slots.acquire('b'));
    assert.equal(slots.acquire('c'), 'service_full');
    assert.equal(slots.acquire('a'), 'service_full');
    a.release();
    assert.equal(slots.acquire('b'), 'address_full');
    held(slots.acquire('c'));
  });

  it('counts a release once however often it is called, and forgets keys that hold nothing', () => {
    const slots = new ConnectionSlots({ total: 5, perKey: 5 });
    const a = held(slots.acquire('a'));
    const b = held(slots.acquire('a'));
    a.release();
    a.release();
    assert.equal(slots.count('a'), 1);
    assert.equal(slots.total, 1);
    b.release();
    assert.equal(slots.total, 0);
    assert.equal(slots.keys, 0);
  });

  it('treats 0 as no limit', () => {
    const slots = new ConnectionSlots({ total: 0, perKey: 0 });
    for (let n = 0; n < 500; n++) held(slots.acquire('one'));
    assert.equal(slots.count('one'), 500);
    const perKeyOnly = new ConnectionSlots({ total: 0, perKey: 1 });
    held(perKeyOnly.acquire('x'));
    assert.equal(perKeyOnly.acquire('x'), 'address_full');
  });
});
