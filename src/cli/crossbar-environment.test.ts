import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fabricUrlVariable, fabricUrlWarning } from './crossbar-environment.js';

describe('Crossbar FX\'s CROSSBAR_FABRIC_URL', () => {
  it('set, is warned of by name (Junction has no management uplink), without its URL', () => {
    const warning = fabricUrlWarning({ [fabricUrlVariable]: 'wss://ops:secret@master.example/ws' });
    assert.match(warning ?? '', /^\$CROSSBAR_FABRIC_URL is set, but Junction has no management uplink/);
    assert.doesNotMatch(warning ?? '', /secret|master\.example/);
  });

  it('unset or blank, says nothing, as Crossbar FX then connects no uplink either', () => {
    assert.equal(fabricUrlWarning({}), undefined);
    assert.equal(fabricUrlWarning({ [fabricUrlVariable]: ' ' }), undefined);
  });
});
