import assert from 'node:assert/strict';
import { chmod, lstat, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureIo } from '../../../test/support/cli.js';
import { run as upgrade } from './upgrade.js';

const router = (permission: object) => ({
  workers: [{ type: 'router', realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [permission] }] }], transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 8080 } }] }],
});

describe('junction upgrade (crossbar upgrade)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-upgrade-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("rewrites a version 1 file as version 2, each permission's actions in allow, as Crossbar writes them", async () => {
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify(router({ uri: 'com.example.', match: 'prefix', publish: true, subscribe: true })));
    const { out, io } = captureIo();
    assert.equal(await upgrade(['--config', file], io), 0, out.stderr);
    assert.equal(out.stdout, `${file}: upgraded from version 1 to version 2\n`);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
      version: 2,
      ...router({ uri: 'com.example.', match: 'prefix', allow: { call: false, register: false, publish: true, subscribe: true }, disclose: { caller: false, publisher: false }, cache: true }),
    });
  });

  it('leaves a version 2 file as it is, byte for byte', async () => {
    const file = join(dir, 'current.yaml');
    const text = `# mine\n${JSON.stringify({ version: 2, ...router({ uri: '*', allow: { call: true } }) })}\n`;
    await writeFile(file, text);
    const { out, io } = captureIo();
    assert.equal(await upgrade(['--config', file], io), 0, out.stderr);
    assert.equal(out.stdout, `${file}: already at the latest version 2; nothing to upgrade\n`);
    assert.equal(await readFile(file, 'utf8'), text);
  });

  it('keeps the mode of the file: a config with secrets stays unreadable to others', async () => {
    const file = join(dir, 'secret.json');
    await writeFile(file, JSON.stringify(router({ uri: '*', call: true })));
    await chmod(file, 0o640); // not what a umask gives: 0644 or 0600
    const { out, io } = captureIo();
    assert.equal(await upgrade(['--config', file], io), 0, out.stderr);
    assert.equal(JSON.parse(await readFile(file, 'utf8')).version, 2);
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes('.upgrade-')), []);
  });

  it('rewrites the file a link names, and the link stays', async () => {
    const file = join(dir, 'shared.json');
    await writeFile(file, JSON.stringify(router({ uri: '*', call: true })));
    const link = join(dir, 'linked.json');
    await symlink(file, link);
    const { out, io } = captureIo();
    assert.equal(await upgrade(['--config', link], io), 0, out.stderr);
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(JSON.parse(await readFile(file, 'utf8')).version, 2);
  });
});
