import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PresenceSeats, type SeatAuthority } from './presence-seats.js';

/** An authority that records what it is asked and seats up to `limit` members per channel. */
function recordingAuthority(): SeatAuthority & { asked: string[] } {
  const seated = new Map<string, Set<string>>();
  const asked: string[] = [];
  return {
    asked,
    async seat(channel, userId, limit) {
      asked.push(`seat ${channel} ${userId}`);
      const members = seated.get(channel) ?? new Set<string>();
      seated.set(channel, members);
      if (!members.has(userId) && members.size >= limit) return false;
      members.add(userId);
      return true;
    },
    unseat(channel, userId) {
      asked.push(`unseat ${channel} ${userId}`);
      seated.get(channel)?.delete(userId);
    },
  };
}

describe('PresenceSeats', () => {
  it('asks once for a user\'s connections on a channel, and gives the seat back with the last of them', async () => {
    const authority = recordingAuthority();
    const seats = new PresenceSeats(authority);
    assert.deepEqual(await Promise.all([seats.take('presence-a', 'u1', 1), seats.take('presence-a', 'u1', 1)]), [true, true]);
    assert.deepEqual(authority.asked, ['seat presence-a u1']);
    seats.give('presence-a', 'u1');
    assert.deepEqual(authority.asked, ['seat presence-a u1'], 'one connection still holds it');
    seats.give('presence-a', 'u1');
    assert.deepEqual(authority.asked, ['seat presence-a u1', 'unseat presence-a u1']);
  });

  it('refuses when the authority has no seat, and gives back nothing then', async () => {
    const authority = recordingAuthority();
    const seats = new PresenceSeats(authority);
    assert.equal(await seats.take('presence-a', 'u1', 1), true);
    assert.equal(await seats.take('presence-a', 'u2', 1), false);
    assert.deepEqual(authority.asked, ['seat presence-a u1', 'seat presence-a u2']);
    seats.give('presence-a', 'u1');
    assert.equal(await seats.take('presence-a', 'u2', 1), true, 'the seat u1 gave back');
  });

  it('gives a seat back before a take that follows at once asks again (the authority hears them in that order)', async () => {
    const authority = recordingAuthority();
    const seats = new PresenceSeats(authority);
    await seats.take('presence-a', 'u1', 1);
    seats.give('presence-a', 'u1');
    const again = seats.take('presence-a', 'u1', 1);
    assert.deepEqual(authority.asked, ['seat presence-a u1', 'unseat presence-a u1', 'seat presence-a u1']);
    assert.equal(await again, true);
  });

  it('admits everyone without an authority (one node: its own count decides)', async () => {
    assert.equal(await new PresenceSeats(undefined).take('presence-a', 'u1', 0), true);
  });
});
