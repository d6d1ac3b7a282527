import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../router/log.js';
import { QuietWarning } from './quiet-warning.js';

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
