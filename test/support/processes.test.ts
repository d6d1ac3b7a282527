import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { debianNeed, skipWithoutDebian } from './debian.js';
import { ownedArguments } from './processes.js';

/** Runs `setpriv` with ownedArguments for a program that says it started; what it wrote and its exit code. */
async function runThroughSetpriv(owner: number): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const child = spawn(debianNeed('util-linux').file, ownedArguments('sh', ['-c', 'echo started'], owner), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = await once(child, 'close') as [number | null];
  return { stdout, stderr, code };
}

describe('a program started through setpriv --pdeathsig (spawnOwned)', { skip: skipWithoutDebian('util-linux') }, () => {
  it('runs when the process that started it is still its parent once the death signal is set', async () => {
    const { stdout, code } = await runThroughSetpriv(process.pid);
    assert.equal(stdout, 'started\n');
    assert.equal(code, 0);
  });

  it('is not started when its owner is no longer its parent by then: the death signal would never come', async () => {
    // As after an owner killed between the fork and setpriv's prctl: the parent is another process (init, once reparented).
    const { stdout, stderr, code } = await runThroughSetpriv(process.ppid);
    assert.equal(stdout, '');
    assert.match(stderr, /is gone: not starting it/);
    assert.equal(code, 1);
  });
});
