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

  it('makes a node folder that does not exist, as Crossbar, and says plainly why when it cannot', async () => {
    const absent = join(dir, 'absent');
    const made = captureIo();
    assert.equal(await keys(['--cbdir', absent], made.io), 0, made.out.stderr);
    assert.match(made.out.stdout, new RegExp(`^made the node directory ${absent}\\nmade the node key ${join(absent, 'key.priv')} `));
    assert.ok(existsSync(join(absent, 'key.pub')));

    const deep = join(dir, 'no-parent', 'node');
    const refused = captureIo();
    assert.equal(await keys(['--cbdir', deep], refused.io), 1);
    assert.equal(refused.out.stderr, `junction keys: cannot create the node directory ${deep}: its parent folder does not exist\n`);
    assert.equal(existsSync(join(dir, 'no-parent')), false);
  });
});
