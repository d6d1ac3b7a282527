import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { captureIo } from '../../../test/support/cli.js';
import { run as convert } from './convert.js';

const document = { version: 2, workers: [{ type: 'router', realms: [{ name: 'realm1', roles: [] }], transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 8080 } }] }] };

describe('junction convert (crossbar convert)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-convert-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a file no more readable than its source (a config with secrets kept 0600)', async () => {
    const cbdir = join(dir, 'secret');
    await mkdir(cbdir);
    await writeFile(join(cbdir, 'config.json'), JSON.stringify(document));
    await chmod(join(cbdir, 'config.json'), 0o600);
    const { out, io } = captureIo();
    assert.equal(await convert(['--cbdir', cbdir], io), 0, out.stderr);
    assert.equal((await stat(join(cbdir, 'config.yaml'))).mode & 0o077, 0);
  });

  it("writes the node folder's config.json as config.yaml, and that back as JSON elsewhere; never overwrites", async () => {
    const cbdir = join(dir, '.crossbar');
    await mkdir(cbdir);
    await writeFile(join(cbdir, 'config.json'), JSON.stringify(document));
    const { out, io } = captureIo();
    assert.equal(await convert(['--cbdir', cbdir], io), 0, out.stderr);
    assert.equal(out.stdout, `wrote ${join(cbdir, 'config.yaml')} from ${join(cbdir, 'config.json')}\n`);
    assert.deepEqual(parseYaml(await readFile(join(cbdir, 'config.yaml'), 'utf8')), document);

    const back = join(dir, 'back');
    await mkdir(back);
    await writeFile(join(back, 'node.yaml'), await readFile(join(cbdir, 'config.yaml')));
    assert.equal(await convert(['--cbdir', back, '--config', 'node.yaml'], captureIo().io), 0);
    assert.deepEqual(JSON.parse(await readFile(join(back, 'node.json'), 'utf8')), document);

    const again = captureIo();
    assert.equal(await convert(['--cbdir', back, '--config', 'node.yaml'], again.io), 1);
    assert.equal(again.out.stderr, `junction convert: cannot write ${join(back, 'node.json')}: it already exists; not overwriting it\n`);
  });

  it('converts no file with problems (they are listed, as check lists them) and no file whose name says no format', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ version: 2, workers: [{ type: 'router', realms: 'none' }] }));
    const bad = captureIo();
    assert.equal(await convert(['--config', join(dir, 'bad.json')], bad.io), 1);
    assert.match(bad.out.stderr, new RegExp(`^${join(dir, 'bad.json')}: \\d+ problems?\\n`));
    await writeFile(join(dir, 'node.conf'), JSON.stringify(document));
    const unnamed = captureIo();
    assert.equal(await convert(['--config', join(dir, 'node.conf')], unnamed.io), 2);
    assert.match(unnamed.out.stderr, /the file name must end in \.json, \.yaml or \.yml/);
  });
});
