import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../log.js';
import { PerKeyLogThrottle, QuietWarning, WarningThrottle } from './warning-throttle.js';

describe('WarningThrottle', () => {
  it('says a warning is due at the first occurrence, then once per interval with the count since the last one', () => {
    const throttle = new WarningThrottle(10_000);
    assert.equal(throttle.record(500), 1);
    assert.equal(throttle.record(600), undefined);
    assert.equal(throttle.record(10_499), undefined);
    assert.equal(throttle.record(10_500), 3);
  });
});

describe('QuietWarning', () => {
  it('logs the first warning, leaves out the rest of the interval, then says how many were left out', () => {
    const lines: { facts: Record<string, unknown>; message: string }[] = [];
    const log = { warn: (facts: Record<string, unknown>, message: string) => lines.push({ facts, message }) } as unknown as Logger;
    let now = 1_000;
    const warning = new QuietWarning(log, 10_000, () => now);
    warning.warn({ n: 1 }, 'bad message');
    warning.warn({ n: 2 }, 'bad message');
    warning.warn({ n: 3 }, 'bad message');
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0]!.facts, { n: 1 });
    assert.match(lines[0]!.message, /^bad message \(more like it are not logged for 10 s\)$/);
    now += 10_000;
    warning.warn({ n: 4 }, 'bad message');
    assert.equal(lines.length, 2);
    assert.deepEqual(lines[1]!.facts, { n: 4, notLogged: 2 });
  });
});

describe('per-key log throttle', () => {
  it('allows one line per key per interval', () => {
    let now = 1_000;
    const throttle = new PerKeyLogThrottle(10_000, 100, () => now);
    assert.equal(throttle.allow('a'), true);
    assert.equal(throttle.allow('a'), false);
    assert.equal(throttle.allow('b'), true);
    now += 9_999;
    assert.equal(throttle.allow('a'), false);
    now += 1;
    assert.equal(throttle.allow('a'), true);
  });

  it('remembers a bounded number of keys, and makes room once old ones expire', () => {
    let now = 0;
    const throttle = new PerKeyLogThrottle(10_000, 2, () => now);
    assert.equal(throttle.allow('a'), true);
    assert.equal(throttle.allow('b'), true);
    assert.equal(throttle.allow('c'), false);
    now = 10_000;
    assert.equal(throttle.allow('c'), true);
  });
});
