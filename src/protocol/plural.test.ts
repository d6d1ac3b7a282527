import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plural } from './plural.js';

describe('plural', () => {
  it('says the singular for exactly one and the plural for any other count', () => {
    assert.equal(plural(1, 'stream'), '1 stream');
    assert.equal(plural(0, 'stream'), '0 streams');
    assert.equal(plural(2, 'WebSocket connection'), '2 WebSocket connections');
    assert.equal(plural(1, 'entry', 'entries'), '1 entry');
    assert.equal(plural(3, 'entry', 'entries'), '3 entries');
  });
});
