import assert from 'node:assert/strict';
import { Refusal } from './refusal.js';

/** For unit tests: the Refusal `action` throws (any other error is passed on; no throw fails). */
export function refusalOf(action: () => unknown): Refusal {
  try {
    action();
  } catch (error) {
    if (error instanceof Refusal) return error;
    throw error;
  }
  assert.fail('expected a refusal');
}
