import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandAsInvoked, runByNpmStart, shellWord } from './invocation.js';

describe('commandAsInvoked: the words that run junction as the user ran it', () => {
  const path = '/usr/local/bin:/usr/bin:/bin';

  it('from a clone (node bin/junction.js, and what npm start runs): node and the script from the working folder', () => {
    assert.equal(commandAsInvoked({ script: '/home/ann/junction/bin/junction.js', cwd: '/home/ann/junction', path }), 'node bin/junction.js');
    assert.equal(commandAsInvoked({ script: '/home/ann/junction/bin/junction.js', cwd: '/home/ann/junction/bin', path }), 'node ./junction.js');
  });

  it('a script outside the working folder keeps its absolute path, quoted when it holds a space', () => {
    assert.equal(commandAsInvoked({ script: '/opt/junction/bin/junction.js', cwd: '/home/ann/app', path }), 'node /opt/junction/bin/junction.js');
    assert.equal(commandAsInvoked({ script: "/opt/my tools/bin/junction.js", cwd: '/home/ann', path }), "node '/opt/my tools/bin/junction.js'");
  });

  it("the bin link in a project's node_modules/.bin (npx, npm exec, npm run): npx junction", () => {
    assert.equal(commandAsInvoked({ script: '/home/ann/app/node_modules/.bin/junction', cwd: '/home/ann/app', path }), 'npx junction');
    // npm run puts node_modules/.bin on PATH; the user's own shell does not have it there.
    assert.equal(commandAsInvoked({ script: '/home/ann/app/node_modules/.bin/junction', cwd: '/home/ann/app', path: `/home/ann/app/node_modules/.bin:${path}` }), 'npx junction');
  });

  it("a link named crossbar (Crossbar's command lines run unchanged): crossbar on PATH, else its path; never npx crossbar", () => {
    assert.equal(commandAsInvoked({ script: '/usr/local/bin/crossbar', cwd: '/home/ann', path }), 'crossbar');
    assert.equal(commandAsInvoked({ script: '/home/ann/cbx/bin/crossbar', cwd: '/home/ann/cbx', path }), 'bin/crossbar');
    assert.equal(commandAsInvoked({ script: '/home/ann/app/node_modules/.bin/crossbar', cwd: '/home/ann/app', path }), 'node_modules/.bin/crossbar');
  });

  it("a link named crossbarfx (Crossbar FX's crossbarfx edge start): the same", () => {
    assert.equal(commandAsInvoked({ script: '/usr/local/bin/crossbarfx', cwd: '/home/ann', path }), 'crossbarfx');
    assert.equal(commandAsInvoked({ script: '/home/ann/cbx/bin/crossbarfx', cwd: '/home/ann/cbx', path }), 'bin/crossbarfx');
  });

  it('a global install (the bin link in a folder on PATH): junction', () => {
    assert.equal(commandAsInvoked({ script: '/usr/local/bin/junction', cwd: '/home/ann', path }), 'junction');
  });

  it('a bin link in a folder not on PATH: its path, so that the shell finds it', () => {
    assert.equal(commandAsInvoked({ script: '/home/ann/tools/junction', cwd: '/home/ann/tools', path }), './junction');
    assert.equal(commandAsInvoked({ script: '/home/ann/tools/junction', cwd: '/home/ann', path }), 'tools/junction');
  });

  it('without a script (an embedding program): junction', () => {
    assert.equal(commandAsInvoked({ script: undefined, cwd: '/', path }), 'junction');
  });
});

describe('shellWord', () => {
  it('leaves plain paths alone and quotes the rest, a single quote included', () => {
    assert.equal(shellWord('.junction'), '.junction');
    assert.equal(shellWord('my node'), "'my node'");
    assert.equal(shellWord("ann's"), "'ann'\\''s'");
  });
});

describe('runByNpmStart', () => {
  it('is true under `npm start` only: not under another npm script, nor run directly', () => {
    assert.equal(runByNpmStart({ npm_lifecycle_event: 'start' }), true);
    assert.equal(runByNpmStart({ npm_lifecycle_event: 'test' }), false);
    assert.equal(runByNpmStart({}), false);
  });
});
