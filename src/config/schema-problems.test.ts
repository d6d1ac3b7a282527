import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestName } from './schema-problems.js';

describe('closestName (the "did you mean" of an unknown key)', () => {
  it('suggests a name that differs in case or separators, or by one typo', () => {
    assert.equal(closestName('maxMessageSize', ['max_message_size', 'port']), 'max_message_size');
    assert.equal(closestName('permisions', ['permissions', 'name']), 'permissions');
  });

  it('counts two swapped neighbouring letters as one typo ("prot" for "port")', () => {
    assert.equal(closestName('prot', ['type', 'port', 'interface']), 'port');
    assert.equal(closestName('raelm', ['realm', 'role']), 'realm');
  });

  it('suggests nothing for an unrelated name', () => {
    assert.equal(closestName('colour', ['port', 'type']), undefined);
  });
});
