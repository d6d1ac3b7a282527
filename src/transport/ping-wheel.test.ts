import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PingWheel, type Pingable } from './ping-wheel.js';

class FakePeer implements Pingable {
  keepaliveSince = 0;
  keepalivePinged = false;
  pings = 0;
  dropped = false;
  ping(): void {
    this.pings += 1;
  }
  unresponsive(): void {
    this.dropped = true;
  }
}

function wheelAt(clock: { now: number }, intervalMs = 1_000, timeoutMs = 500): PingWheel {
  return new PingWheel({ intervalMs, timeoutMs, now: () => clock.now });
}

describe('PingWheel', () => {
  it('pings a connection once it has been quiet for the interval, not before', () => {
    const clock = { now: 0 };
    const wheel = wheelAt(clock);
    const peer = new FakePeer();
    wheel.add(peer);
    clock.now = 999;
    wheel.sweep();
    assert.equal(peer.pings, 0);
    clock.now = 1_000;
    wheel.sweep();
    assert.equal(peer.pings, 1);
    clock.now = 1_200;
    wheel.sweep();
    assert.equal(peer.pings, 1, 'one ping at a time while it is unanswered');
    wheel.stop();
  });

  it('keeps a peer that answers, pinging it again an interval after each answer', () => {
    const clock = { now: 0 };
    const wheel = wheelAt(clock);
    const peer = new FakePeer();
    wheel.add(peer);
    for (let round = 1; round <= 5; round++) {
      clock.now += 1_000;
      wheel.sweep();
      assert.equal(peer.pings, round);
      clock.now += 400; // answered within the 500 ms timeout
      wheel.heard(peer);
      wheel.sweep();
    }
    assert.equal(peer.dropped, false);
    assert.equal(wheel.size, 1);
    wheel.stop();
  });

  it('drops a peer whose ping goes unanswered for the timeout, and forgets it', () => {
    const clock = { now: 0 };
    const wheel = wheelAt(clock);
    const dead = new FakePeer();
    const alive = new FakePeer();
    wheel.add(dead);
    wheel.add(alive);
    clock.now = 1_000;
    wheel.sweep();
    wheel.heard(alive);
    clock.now = 1_499;
    wheel.sweep();
    assert.equal(dead.dropped, false);
    clock.now = 1_500;
    wheel.sweep();
    assert.equal(dead.dropped, true);
    assert.equal(alive.dropped, false);
    assert.equal(wheel.size, 1);
    clock.now = 10_000;
    wheel.sweep();
    assert.equal(dead.pings, 1, 'a dropped peer is not pinged again');
    wheel.stop();
  });

  it('walks on a timer of its own, a quarter of the shorter period, while it has members', async () => {
    const wheel = new PingWheel({ intervalMs: 40, timeoutMs: 1_000 });
    assert.equal(wheel.tickMs, 10);
    const peer = new FakePeer();
    wheel.add(peer);
    const deadline = Date.now() + 5_000;
    while (peer.pings === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(peer.pings, 1);
    wheel.delete(peer);
    assert.equal(wheel.size, 0);
  });

  it('refuses a period that is not positive', () => {
    assert.throws(() => new PingWheel({ intervalMs: 0, timeoutMs: 10 }), /positive/);
  });
});
