import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { PackageResource } from '../../config/model.js';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { packageResourceFolder } from './package-resource.js';

const home = mkdtempSync(join(tmpdir(), 'junction-package-resource-'));
after(() => rmSync(home, { recursive: true, force: true }));

function source(pkg: string, resource: string, executable = '/usr/bin/python3', interpreterGiven = false): PackageResource {
  return { package: pkg, resource, python: { at: 'workers[0]', executable, interpreterGiven, pythonpath: [join(home, 'lib')], env: { inherit: true, vars: {} }, workdir: home } };
}

describe('the folder of a static path\'s package resource', { skip: skipWithoutDebian('python3') }, () => {
  mkdirSync(join(home, 'lib', 'shop', 'assets', 'web'), { recursive: true });
  writeFileSync(join(home, 'lib', 'shop', '__init__.py'), '');
  writeFileSync(join(home, 'lib', 'shop', 'assets', '__init__.py'), '');
  mkdirSync(join(home, 'lib', 'spread', 'site'), { recursive: true });
  writeFileSync(join(home, 'lib', 'broken.py'), 'raise RuntimeError("no config")\n');

  it('below the package\'s own folder, found on the router worker\'s pythonpath; a nested resource path too', async () => {
    assert.equal(await packageResourceFolder(source('shop.assets', 'web'), 'static:t:/'), join(home, 'lib', 'shop', 'assets', 'web'));
    assert.equal(await packageResourceFolder(source('shop', 'assets/web'), 'static:t:/'), join(home, 'lib', 'shop', 'assets', 'web'));
  });

  it('a namespace package (no __init__.py): its folder on the path', async () => {
    assert.equal(await packageResourceFolder(source('spread', 'site'), 'static:t:/'), join(home, 'lib', 'spread', 'site'));
  });

  it('a folder that is not there yet is still the answer (served as a missing directory is: 404 until it exists)', async () => {
    assert.equal(await packageResourceFolder(source('shop', 'later'), 'static:t:/'), join(home, 'lib', 'shop', 'later'));
  });

  it('a package that is missing or fails on import: Python\'s error', async () => {
    const missing = await packageResourceFolder(source('nosuch', 'web'), 'static:t:/');
    assert.match(typeof missing === 'string' ? missing : missing.reason, /^\/usr\/bin\/python3: import failed: ModuleNotFoundError: No module named 'nosuch' \(Python search path: \[/);
    const broken = await packageResourceFolder(source('broken', 'web'), 'static:t:/');
    assert.match(typeof broken === 'string' ? broken : broken.reason, /: import failed: RuntimeError: no config /);
  });

  it('a Python that is not there: which key to change', async () => {
    assert.deepEqual(await packageResourceFolder(source('shop', 'web', '/nowhere/python3', true), 'static:t:/'),
      { reason: `workers[0].options.python: "/nowhere/python3" is not found or not executable (against ${home}, then on the PATH)` });
  });
});
