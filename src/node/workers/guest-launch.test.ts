import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { GuestConfig } from '../../config/model.js';
import { StartupError } from '../startup-errors.js';
import { guestEnvironment, guestExecutable } from './guest-launch.js';

const home = mkdtempSync(join(tmpdir(), 'junction-guest-launch-'));
after(() => rmSync(home, { recursive: true, force: true }));

function guest(executable: string, workdir = home): GuestConfig {
  return {
    id: 'backend', at: 'workers[1]', executable, arguments: [], workdir, env: { inherit: true, vars: {} },
    stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: 100, linesPerSecond: 10,
  };
}

function file(path: string, mode: number): string {
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, mode);
  return path;
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => assert.fail('expected a refusal'), (error: unknown) => error);
  assert.ok(error instanceof StartupError);
  assert.equal(error.code, 'guest_not_startable');
  return error.message;
}

describe('a guest\'s environment, as Crossbar builds it', () => {
  const parent = { PATH: '/bin', HOME: '/home/u', SECRET: 's' };

  it('inherits everything by default, then the vars, and sets PYTHONUNBUFFERED=1', () => {
    assert.deepEqual(guestEnvironment({ inherit: true, vars: { A: '1' } }, parent), { ...parent, A: '1', PYTHONUNBUFFERED: '1' });
  });

  it('inherits nothing with false, the names given with a list (absent ones left out)', () => {
    assert.deepEqual(guestEnvironment({ inherit: false, vars: { A: '1' } }, parent), { A: '1', PYTHONUNBUFFERED: '1' });
    assert.deepEqual(guestEnvironment({ inherit: ['HOME', 'NOPE'], vars: {} }, parent), { HOME: '/home/u', PYTHONUNBUFFERED: '1' });
  });

  it('keeps a PYTHONUNBUFFERED the guest is given (empty: buffered output wanted)', () => {
    assert.deepEqual(guestEnvironment({ inherit: false, vars: { PYTHONUNBUFFERED: '' } }, parent), { PYTHONUNBUFFERED: '' });
    assert.equal(guestEnvironment({ inherit: true, vars: {} }, { PYTHONUNBUFFERED: '0' }).PYTHONUNBUFFERED, '0');
  });
});

describe('a guest\'s program, looked up as Crossbar looks it up', () => {
  const bin = join(home, 'bin');
  mkdirSync(bin);
  const tool = file(join(bin, 'tool'), 0o755);
  const script = file(join(home, 'run.sh'), 0o755);
  const plain = file(join(home, 'plain.sh'), 0o644);
  file(join(bin, 'readonly-tool'), 0o644);

  it('first against the workdir, then a bare name on the PATH', async () => {
    assert.equal(await guestExecutable(guest('./run.sh'), bin), script);
    assert.equal(await guestExecutable(guest('run.sh'), bin), script);
    assert.equal(await guestExecutable(guest(script, '/'), bin), script);
    assert.equal(await guestExecutable(guest('tool'), `/nonexistent:${bin}`), tool);
  });

  it('refuses a program that is not executable, not found, or a workdir that is not there, naming the key', async () => {
    assert.equal(await refusal(guestExecutable(guest('plain.sh'), bin)),
      `workers[1].executable: guest "backend": ${plain} is not executable (make it so with chmod +x, or name its interpreter as executable and the script in arguments)`);
    assert.match(await refusal(guestExecutable(guest('readonly-tool'), bin)), /^workers\[1\]\.executable: guest "backend": .*readonly-tool is not executable/);
    assert.equal(await refusal(guestExecutable(guest('nothing-here'), bin)), `workers[1].executable: guest "backend": "nothing-here" was not found in ${home} nor on the PATH (${bin})`);
    assert.equal(await refusal(guestExecutable(guest('./bin/nothing'), bin)), `workers[1].executable: guest "backend": "./bin/nothing" was not found (looked for ${join(home, 'bin', 'nothing')})`);
    assert.equal(await refusal(guestExecutable(guest('tool', join(home, 'gone')), bin)), `workers[1].options.workdir: guest "backend" cannot run in ${join(home, 'gone')}: it does not exist`);
  });
});
