import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { within } from './wait.js';

describe('within', () => {
  it('gives what the promise gives when it settles in time, and its rejection', async () => {
    assert.equal(await within(Promise.resolve(7), 'a value', 1_000), 7);
    await assert.rejects(within(Promise.reject(new Error('refused')), 'a value', 1_000), /^Error: refused$/);
  });

  it('fails after the bound, saying what was awaited and what was known then', async () => {
    let said = 'nothing yet';
    const never = new Promise<never>(() => {});
    const waiting = within(never, 'the process to exit', 50, () => `; it said: ${said}`);
    said = 'goodbye';
    await assert.rejects(waiting, { message: 'timed out after 50 ms waiting for the process to exit; it said: goodbye' });
  });
});
