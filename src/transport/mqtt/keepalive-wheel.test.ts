import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeepaliveWheel, type KeptAlive } from './keepalive-wheel.js';

function member(silenceLimitMs: number, heardAt = 0): KeptAlive & { heardAt: number; told: number } {
  return { heardAt, silenceLimitMs, told: 0, silent() { this.told++; } };
}

describe('keepalive wheel', () => {
  it('tells the members silent past their own limit, and only them', () => {
    let clock = 0;
    const quick = member(1_500);
    const slow = member(90_000);
    const none = member(0);
    const wheel = new KeepaliveWheel([quick, slow, none], () => clock);
    clock = 1_500.7;
    wheel.sweep();
    assert.deepEqual([quick.told, slow.told, none.told], [0, 0, 0], 'silent for exactly the limit is still in time');
    clock = 1_501;
    wheel.sweep();
    assert.deepEqual([quick.told, slow.told, none.told], [1, 0, 0]);
    clock = 90_001;
    wheel.sweep();
    assert.deepEqual([quick.told, slow.told, none.told], [2, 1, 0], 'told again while it stays a member');
  });

  it('reads its clock in whole milliseconds, and a member heard since is not told', () => {
    let clock = 10.9;
    const heard = member(1_000, 0);
    const wheel = new KeepaliveWheel([heard], () => clock);
    assert.equal(wheel.now(), 10);
    clock = 900;
    heard.heardAt = wheel.now();
    clock = 1_800;
    wheel.sweep();
    assert.equal(heard.told, 0);
  });

  it('runs its timer only while a member has a limit', () => {
    const members: KeptAlive[] = [member(0)];
    const wheel = new KeepaliveWheel(members);
    const timer = () => (wheel as unknown as { timer: unknown }).timer;
    wheel.watch();
    assert.notEqual(timer(), undefined);
    wheel.sweep();
    assert.equal(timer(), undefined, 'stopped: nobody is watched');
    members.push(member(1_000, performance.now()));
    wheel.watch();
    wheel.sweep();
    assert.notEqual(timer(), undefined);
    wheel.stop();
    assert.equal(timer(), undefined);
  });
});
