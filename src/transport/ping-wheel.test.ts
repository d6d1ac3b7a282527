import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PingWheel, type KeepaliveState, type Pingable } from './ping-wheel.js';

class FakePeer implements Pingable {
  keepaliveSince = 0;
  keepaliveState: KeepaliveState = 0;
  pings = 0;
  unresponsiveCalls = 0;
  ping(): void {
    this.pings += 1;
  }
  unresponsive(): void {
    this.unresponsiveCalls += 1;
  }
  get dropped(): boolean {
    return this.unresponsiveCalls > 0;
  }
}

/** The wheel's owner: a collection of peers it changes itself, as the WebSocket service does with its map. */
class Owner {
  readonly peers = new Set<FakePeer>();
  readonly wheel: PingWheel;
  constructor(options: ConstructorParameters<typeof PingWheel>[1]) {
    this.wheel = new PingWheel(this.peers, options);
  }
  add(peer: FakePeer): void {
    this.peers.add(peer);
    this.wheel.added(peer);
  }
  remove(peer: FakePeer): void {
    this.peers.delete(peer);
    this.wheel.removed();
  }
}

function ownerAt(clock: { now: number }, intervalMs = 1_000, timeoutMs = 500): Owner {
  return new Owner({ intervalMs, timeoutMs, now: () => clock.now });
}

describe('PingWheel', () => {
  it('pings a connection once it has been quiet for the interval, not before', () => {
    const clock = { now: 0 };
    const owner = ownerAt(clock);
    const peer = new FakePeer();
    owner.add(peer);
    clock.now = 999;
    owner.wheel.sweep();
    assert.equal(peer.pings, 0);
    clock.now = 1_000;
    owner.wheel.sweep();
    assert.equal(peer.pings, 1);
    clock.now = 1_200;
    owner.wheel.sweep();
    assert.equal(peer.pings, 1, 'one ping at a time while it is unanswered');
    owner.wheel.stop();
  });

  it('keeps a peer that answers, pinging it again an interval after each answer', () => {
    const clock = { now: 0 };
    const owner = ownerAt(clock);
    const peer = new FakePeer();
    owner.add(peer);
    for (let round = 1; round <= 5; round++) {
      clock.now += 1_000;
      owner.wheel.sweep();
      assert.equal(peer.pings, round);
      clock.now += 400; // answered within the 500 ms timeout
      owner.wheel.heard(peer);
      owner.wheel.sweep();
    }
    assert.equal(peer.dropped, false);
    owner.wheel.stop();
  });

  it('tells its owner once of a peer whose ping goes unanswered for the timeout, and pings it no more', () => {
    const clock = { now: 0 };
    const owner = ownerAt(clock);
    const dead = new FakePeer();
    const alive = new FakePeer();
    owner.add(dead);
    owner.add(alive);
    clock.now = 1_000;
    owner.wheel.sweep();
    owner.wheel.heard(alive);
    clock.now = 1_499;
    owner.wheel.sweep();
    assert.equal(dead.dropped, false);
    clock.now = 1_500;
    owner.wheel.sweep();
    assert.equal(dead.unresponsiveCalls, 1);
    assert.equal(alive.dropped, false);
    // The owner has not taken it out yet (its connection closes later): neither pinged nor told again,
    // and a late pong does not bring it back.
    owner.wheel.heard(dead);
    clock.now = 10_000;
    owner.wheel.sweep();
    assert.equal(dead.pings, 1, 'a dropped peer is not pinged again');
    assert.equal(dead.unresponsiveCalls, 1, 'the owner is told once');
    owner.remove(dead);
    assert.equal(alive.pings, 2, 'the others are still kept alive');
    owner.wheel.stop();
  });

  it('walks on a timer of its own, a quarter of the shorter period, while its owner has members', async () => {
    const owner = new Owner({ intervalMs: 40, timeoutMs: 1_000 });
    assert.equal(owner.wheel.tickMs, 10);
    const peer = new FakePeer();
    owner.add(peer);
    const deadline = Date.now() + 5_000;
    while (peer.pings === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(peer.pings, 1);
    owner.remove(peer);
    // Stopped with the last member: no ping on a peer added to the collection behind the wheel's back.
    const unseen = new FakePeer();
    owner.peers.add(unseen);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(unseen.pings, 0);
  });

  it('refuses a period that is not positive', () => {
    assert.throws(() => new PingWheel(new Set(), { intervalMs: 0, timeoutMs: 10 }), /positive/);
  });
});
