import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
});
