import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StartupError } from '../startup-errors.js';
import type { RouterLinkConfig } from '../../config/model.js';
import { loadNodeKey, nodeKeyProblems } from './node-key.js';

const scratch = mkdtempSync(join(tmpdir(), 'junction-node-key-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('the node key (router links sign in with it)', () => {
  it("reads Crossbar's key.priv and derives its public key (the key pair of Crossbar's own rlink test)", () => {
    const file = join(scratch, 'crossbar.priv');
    writeFileSync(file, [
      'creator: integration-test',
      'public-key-ed25519: 97474dca6e3d1bccf2ab0dea030bde7799c4cbdb6e6f73304b33bfbf0d6a147f',
      'private-key-ed25519: a13a0850e231e9e350aac1ad22a691becbfd3afd74b913a33f6a840322d75677',
      'private-key-eth: a640ff23c9392dc1c43c440d70f1a6bff9562eef948def31ca4a28ac2de05c79',
    ].join('\n'));
    assert.deepEqual(loadNodeKey(file), {
      made: false,
      key: { privateKey: 'a13a0850e231e9e350aac1ad22a691becbfd3afd74b913a33f6a840322d75677', publicKey: '97474dca6e3d1bccf2ab0dea030bde7799c4cbdb6e6f73304b33bfbf0d6a147f' },
    });
  });

  it('makes a key when there is none: key.priv readable by its owner only, key.pub beside it, the same key read back', () => {
    const file = join(scratch, 'key.priv');
    const { key, made } = loadNodeKey(file);
    assert.equal(made, true);
    assert.match(key.publicKey, /^[0-9a-f]{64}$/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(join(scratch, 'key.pub'), 'utf8'), new RegExp(`public-key-ed25519: ${key.publicKey}`));
    assert.doesNotMatch(readFileSync(join(scratch, 'key.pub'), 'utf8'), /private/);
    assert.deepEqual(loadNodeKey(file), { key, made: false });
  });

  it('refuses a file without a usable private key, naming it (node_key_unusable)', () => {
    const file = join(scratch, 'broken.priv');
    writeFileSync(file, 'private-key-ed25519: 1234\n');
    assert.throws(() => loadNodeKey(file), (error: StartupError) =>
      error instanceof StartupError && error.code === 'node_key_unusable' && error.message.startsWith(`${file}: expected a line "private-key-ed25519: <64 hex digits>"`));
  });

  it('tells junction check of a key file that is no key, and of none that is missing or not signed in with', () => {
    const dir = mkdtempSync(join(scratch, 'check-'));
    const file = join(dir, 'key.priv');
    const link = (method: 'cryptosign' | 'ticket') => ({ nodeKeyFile: file, auth: method === 'ticket' ? { method, authid: 'a', ticket: 't' } : { method } }) as RouterLinkConfig;
    assert.deepEqual(nodeKeyProblems([link('cryptosign')]), [], 'a missing key is made at start');
    writeFileSync(file, 'private-key-ed25519: not-a-key\n');
    assert.deepEqual(nodeKeyProblems([link('ticket')]), [], 'no link signs in with the node key');
    assert.deepEqual(nodeKeyProblems([]), []);
    const [problem, ...more] = nodeKeyProblems([link('ticket'), link('cryptosign')]);
    assert.equal(more.length, 0);
    assert.equal(problem?.code, 'node_key_unusable');
    assert.ok(problem.message.startsWith(`${file}: expected a line`), problem.message);
    assert.equal(existsSync(join(dir, 'key.pub')), false, 'nothing is made');
  });
});
