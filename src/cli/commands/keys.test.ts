import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureIo } from '../../../test/support/cli.js';
import { run as keys } from './keys.js';

describe('junction keys (crossbar keys)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-keys-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("makes the node key when there is none, then prints the same public key; never the private one", async () => {
    const made = captureIo();
    assert.equal(await keys(['--cbdir', dir], made.io), 0, made.out.stderr);
    const publicKey = /public-key-ed25519: ([0-9a-f]{64})/.exec(await readFile(join(dir, 'key.pub'), 'utf8'))![1];
    assert.equal(made.out.stdout, `made the node key ${join(dir, 'key.priv')} (and ${join(dir, 'key.pub')})\nnode public key (hex): ${publicKey}\n`);
    const again = captureIo();
    assert.equal(await keys(['--cbdir', dir], again.io), 0);
    assert.equal(again.out.stdout, `node public key (hex): ${publicKey}\n`);

    const secret = /private-key-ed25519: ([0-9a-f]{64})/.exec(await readFile(join(dir, 'key.priv'), 'utf8'))![1]!;
    const refused = captureIo();
    assert.equal(await keys(['--cbdir', dir, '--private'], refused.io), 2);
    assert.match(refused.out.stderr, /^junction keys: --private is refused: Junction never prints a private key/);
    assert.ok(!`${made.out.stdout}${again.out.stdout}${refused.out.stdout}${refused.out.stderr}`.includes(secret));
  });

  it('says plainly why a node folder that does not exist has no key', async () => {
    const { out, io } = captureIo();
    assert.equal(await keys(['--cbdir', join(dir, 'absent')], io), 1);
    assert.match(out.stderr, new RegExp(`^junction keys: ${join(dir, 'absent', 'key.priv')}: `));
    assert.equal(existsSync(join(dir, 'absent')), false);
  });
});
