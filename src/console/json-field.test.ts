import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readJsonField } from './json-field.js';

describe('readJsonField', () => {
  it('reads an empty field as not given', () => {
    assert.deepEqual(readJsonField('  ', 'list'), { ok: true, value: undefined });
  });
  it('reads arrays for arguments and objects for keyword arguments', () => {
    assert.deepEqual(readJsonField('[2, 3]', 'list'), { ok: true, value: [2, 3] });
    assert.deepEqual(readJsonField('{"a": 1}', 'dict'), { ok: true, value: { a: 1 } });
  });
  it('names what is wrong', () => {
    const bad = readJsonField('[2, 3', 'list');
    assert.equal(bad.ok, false);
    assert.match((bad as { error: string }).error, /^not valid JSON/);
    assert.deepEqual(readJsonField('{"a": 1}', 'list'), { ok: false, error: 'must be a JSON array, like [2, 3]' });
    assert.deepEqual(readJsonField('[1]', 'dict'), { ok: false, error: 'must be a JSON object, like {"name": "value"}' });
    assert.deepEqual(readJsonField('null', 'dict'), { ok: false, error: 'must be a JSON object, like {"name": "value"}' });
  });
});
