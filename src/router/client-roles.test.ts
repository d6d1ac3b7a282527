import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sharedRoles } from './client-roles.js';

describe('sharedRoles', () => {
  it('gives sessions that announced the same roles one frozen copy', () => {
    const a = sharedRoles({ caller: { features: { progressive_call_results: true } }, subscriber: {} });
    const b = sharedRoles({ caller: { features: { progressive_call_results: true } }, subscriber: {} });
    assert.equal(a, b);
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.caller) && Object.isFrozen((a.caller as { features: object }).features));
    assert.deepEqual(a, { caller: { features: { progressive_call_results: true } }, subscriber: {} });
  });

  it('keeps different announcements apart', () => {
    const a = sharedRoles({ callee: { features: { call_canceling: true } } });
    const b = sharedRoles({ callee: { features: { call_canceling: false } } });
    assert.notEqual(a, b);
    assert.equal((b.callee as { features: { call_canceling: boolean } }).features.call_canceling, false);
  });

  it('keeps a value with no JSON form as it was', () => {
    const roles = { publisher: { big: 1n } } as unknown as Record<string, unknown>;
    assert.equal(sharedRoles(roles), roles);
  });

  it('keeps a large announcement to its session, and stops sharing past 256 distinct ones', () => {
    const large = { caller: { features: { padding: 'x'.repeat(5_000) } } };
    assert.equal(sharedRoles(large), large);
    for (let i = 0; i < 300; i++) sharedRoles({ publisher: { features: { [`f${i}`]: true } } });
    const late = { publisher: { features: { late_one: true } } };
    assert.equal(sharedRoles(late), late, 'past the cap, a session keeps its own dict');
  });
});
