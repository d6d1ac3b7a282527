import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addressOf, SignInThrottle } from './throttle.js';

function throttleAt(options: ConstructorParameters<typeof SignInThrottle>[0] = {}) {
  const clock = { now: 1_000_000 };
  const throttle = new SignInThrottle({ budget: 3, forgiveMs: 10_000, spacingMs: 100, maxWaitMs: 350, ...options }, () => clock.now);
  return { throttle, clock };
}

describe('sign-in throttle', () => {
  it('lets an address through at once while it is within its failure budget', () => {
    const { throttle } = throttleAt();
    assert.deepEqual(throttle.admit('198.51.100.1'), { wait: 0 });
    throttle.failed('198.51.100.1');
    throttle.failed('198.51.100.1');
    assert.deepEqual(throttle.admit('198.51.100.1'), { wait: 0 });
  });

  it('spaces out attempts over budget, each later than the previous, then refuses', () => {
    const { throttle } = throttleAt();
    for (let i = 0; i < 3; i++) throttle.failed('198.51.100.1');
    assert.deepEqual(throttle.admit('198.51.100.1'), { wait: 100 });
    assert.deepEqual(throttle.admit('198.51.100.1'), { wait: 200 });
    assert.deepEqual(throttle.admit('198.51.100.1'), { wait: 300 });
    assert.deepEqual(throttle.admit('198.51.100.1'), { refused: true }, 'a wait over maxWaitMs is refused');
    assert.deepEqual(throttle.admit('198.51.100.2'), { wait: 0 }, 'other addresses are not affected');
    assert.deepEqual([throttle.delayed, throttle.refused], [3, 1], 'counted for the metrics');
  });

  it('spaces attempts further apart the further an address is over budget', () => {
    const { throttle } = throttleAt({ maxWaitMs: 10_000 });
    for (let i = 0; i < 5; i++) throttle.failed('198.51.100.1');
    assert.deepEqual(throttle.admit('198.51.100.1'), { wait: 300 }, '2 over budget: spacing × 3');
  });

  it('forgives one failure per forgiveMs', () => {
    const { throttle, clock } = throttleAt();
    for (let i = 0; i < 4; i++) throttle.failed('198.51.100.1');
    assert.equal(throttle.failuresOf('198.51.100.1'), 4);
    clock.now += 15_000;
    assert.equal(throttle.failuresOf('198.51.100.1'), 2.5);
    assert.deepEqual(throttle.admit('198.51.100.1'), { wait: 0 });
    clock.now += 100_000;
    assert.deepEqual(throttle.admit('198.51.100.1'), { wait: 0 });
    assert.equal(throttle.addressCount, 0, 'a fully forgiven address is forgotten');
  });

  it('remembers at most maxAddresses, forgetting the least recently seen', () => {
    const { throttle } = throttleAt({ maxAddresses: 2 });
    throttle.failed('a');
    throttle.failed('b');
    throttle.failed('a');
    throttle.failed('c');
    assert.equal(throttle.addressCount, 2);
    assert.equal(throttle.failuresOf('b'), 0, '"b" was seen least recently');
    assert.equal(throttle.failuresOf('a'), 2);
  });

  it('keys by IP address, not by port', () => {
    assert.equal(addressOf('tcp4:203.0.113.7:51234'), '203.0.113.7');
    assert.equal(addressOf('tcp6:::1:51234'), '::1');
    assert.equal(addressOf('tcp6:2001:db8::5:443'), '2001:db8::5');
    assert.equal(addressOf('internal'), 'internal');
  });
});
