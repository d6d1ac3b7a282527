import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeWindow } from './chart.js';

describe('the charts\' time axis', () => {
  it('ends at the newest reading, and at the present while there is none yet (not in 1970)', () => {
    assert.deepEqual(timeWindow(1_796_000_000, 1_796_000_002), [1_795_999_700, 1_796_000_000]);
    assert.deepEqual(timeWindow(null, 1_796_000_002), [1_795_999_702, 1_796_000_002]);
  });
});
