import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeatTable } from './backplane-seats.js';

describe('SeatTable', () => {
  it('seats members up to the limit, a member held by several nodes once, and frees a seat when its last holder lets go', () => {
    const seats = new SeatTable();
    assert.equal(seats.seat('n1', 'room', 'ann', 2), true);
    assert.equal(seats.seat('n2', 'room', 'bob', 2), true);
    assert.equal(seats.seat('n2', 'room', 'cid', 2), false, 'full');
    assert.equal(seats.seat('n2', 'room', 'ann', 2), true, 'ann is seated already: no new seat');
    seats.unseat('n1', 'room', 'ann');
    assert.equal(seats.seat('n1', 'room', 'cid', 2), false, 'n2 still holds ann');
    seats.unseat('n2', 'room', 'ann');
    assert.equal(seats.seat('n1', 'room', 'cid', 2), true);
    assert.equal(seats.seat('n1', 'other', 'dan', 1), true, 'groups are counted apart');
  });

  it('frees every seat of a node that is gone, and seats one it held already whatever the count', () => {
    const seats = new SeatTable();
    seats.seat('n1', 'room', 'ann', 1);
    assert.equal(seats.seat('n2', 'room', 'bob', 1), false);
    seats.dropNode('n1');
    assert.equal(seats.seat('n2', 'room', 'bob', 1), true);
    assert.equal(seats.seat('n1', 'room', 'ann', undefined), true, 'taken again after a reconnect, past the limit');
  });
});
