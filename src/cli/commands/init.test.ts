import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureIo } from '../../../test/support/cli.js';
import { embeddedDefaultConfig } from '../../config/defaults.js';
import { parseConfigText } from '../../config/load.js';
import type { JunctionConfig } from '../../config/model.js';
import { starterConfigYaml } from '../../config/starter.js';
import { run as check } from './check.js';
import { run as init } from './init.js';

describe('junction init', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-init-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a commented starter config that passes check', async () => {
    const target = join(dir, 'node1');
    const { out, io } = captureIo();
    assert.equal(await init([target], io), 0);
    const file = join(target, 'config.yaml');
    assert.equal(await readFile(file, 'utf8'), starterConfigYaml);
    assert.match(out.stdout, new RegExp(`^wrote ${file}\n`));
    assert.ok(starterConfigYaml.split('\n').filter((line) => line.trimStart().startsWith('#')).length >= 10);

    const checked = captureIo();
    assert.equal(await check(['--cbdir', target], checked.io), 0, checked.out.stderr);
    assert.equal(checked.out.stdout, `${file}: ok (1 realm, 1 transport)\n`);
  });

  it("Crossbar's --appdir APPDIR writes APPDIR/.crossbar/config.yaml, the folder start runs in APPDIR; not with DIR too", async () => {
    const appdir = join(dir, 'app');
    const { out, io } = captureIo();
    assert.equal(await init(['--appdir', appdir], io), 0, out.stderr);
    assert.equal(await readFile(join(appdir, '.crossbar', 'config.yaml'), 'utf8'), starterConfigYaml);
    const both = captureIo();
    assert.equal(await init([join(dir, 'other'), '--appdir', appdir], both.io), 2);
    assert.match(both.out.stderr, /^junction init: expected at most one folder \(DIR or --appdir\), got 2\n/);
  });

  it('names the next commands the way junction was run: node bin/junction.js from a clone, npx junction in a project', async () => {
    const clone = captureIo();
    assert.equal(await init([join(dir, 'hints')], clone.io, { script: '/src/junction/bin/junction.js', cwd: '/src/junction', path: '/usr/bin' }), 0);
    assert.match(clone.out.stdout, new RegExp(`^  check it:  node bin/junction\\.js check --cbdir ${join(dir, 'hints')}$`, 'm'));
    assert.match(clone.out.stdout, new RegExp(`^  run it:    node bin/junction\\.js start --cbdir ${join(dir, 'hints')}$`, 'm'));

    const project = captureIo();
    assert.equal(await init([join(dir, 'my node')], project.io, { script: '/app/node_modules/.bin/junction', cwd: '/app', path: '/usr/bin' }), 0);
    assert.match(project.out.stdout, /^  check it:  npx junction check --cbdir '.*my node'$/m);
  });

  it('serves the same paths as the embedded default, each with the same service type', () => {
    const pathTypes = (config: JunctionConfig) =>
      Object.fromEntries(Object.entries(config.listeners[0]!.paths).map(([path, service]) => [path, service.type]));
    const starter = parseConfigText(starterConfigYaml, { source: 'config.yaml', env: {} });
    assert.deepEqual(pathTypes(starter), pathTypes(embeddedDefaultConfig()));
  });

  it('refuses to overwrite an existing config', async () => {
    const target = join(dir, 'node2');
    const { io } = captureIo();
    assert.equal(await init([target], io), 0);
    await writeFile(join(target, 'config.yaml'), 'edited by the user\n');
    const again = captureIo();
    assert.equal(await init([target], again.io), 1);
    assert.equal(again.out.stderr, `junction init: ${join(target, 'config.yaml')} already exists; not overwriting it\n`);
    assert.equal(await readFile(join(target, 'config.yaml'), 'utf8'), 'edited by the user\n');
  });

  it('refuses when the folder already has a config.json', async () => {
    const target = await mkdtemp(join(dir, 'crossbar-'));
    await writeFile(join(target, 'config.json'), '{}');
    const { out, io } = captureIo();
    assert.equal(await init([target], io), 1);
    assert.match(out.stderr, /config\.json already exists; not overwriting it/);
  });
});
