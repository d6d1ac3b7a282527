import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onDemand } from './on-demand.js';
import { StartupError } from './startup-errors.js';

describe('a feature module loaded on demand', () => {
  it('is loaded at the first use only, then shared', async () => {
    let loads = 0;
    const feature = onDemand('the test feature', async () => ({ value: ++loads }));
    assert.equal(loads, 0);
    const [first, second] = await Promise.all([feature('transport "a"'), feature('transport "b"')]);
    assert.equal(first, second);
    assert.equal(loads, 1);
  });

  it('that cannot be loaded fails each use with the feature, where the configuration has it, and the reason; a later use tries again', async () => {
    let attempts = 0;
    const feature = onDemand('the "upload" path service', async () => {
      attempts++;
      if (attempts === 1) throw new Error("Cannot find package 'busboy'\n    at packageResolve (node:internal)");
      return 'loaded';
    });
    await assert.rejects(feature('transport "web" path "/upload"'), (error: unknown) => {
      assert.ok(error instanceof StartupError);
      assert.equal(error.code, 'module_unloadable');
      assert.equal(error.message, 'transport "web" path "/upload": the "upload" path service cannot be loaded: Cannot find package \'busboy\'');
      return true;
    });
    assert.equal(await feature('transport "web" path "/upload"'), 'loaded');
    assert.equal(attempts, 2);
  });
});
