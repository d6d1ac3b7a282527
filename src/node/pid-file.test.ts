import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnOwned } from '../../test/support/processes.js';
import { standInJunction } from '../../test/support/stand-in-junction.js';
import { waitFor, within } from '../../test/support/wait.js';
import { isRunning, PidFileHeld, pidFileOwner, readPidFile, removePidFile, runningAs, writePidFile } from './pid-file.js';

let dir: string;
before(async () => (dir = await mkdtemp(join(tmpdir(), 'junction-pid-'))));
after(() => rm(dir, { recursive: true, force: true }));

/** An id no process has: Linux's pid_max is at most 2^22. */
const noSuchProcess = 2147483646;

describe('pid file', () => {
  it('is written with this process id, never over a running Junction\'s, and removed only while it is ours', async () => {
    const path = join(dir, 'node.pid');
    assert.equal(await writePidFile(path), undefined);
    assert.equal(await readPidFile(path), process.pid);

    const other = await standInJunction();
    try {
      await writeFile(path, `${other.pid}\n`);
      await assert.rejects(writePidFile(path), (error: unknown) => error instanceof PidFileHeld && error.pid === other.pid && /names process \d+, which is running/.test(error.message));
      await removePidFile(path);
      assert.equal(await readPidFile(path), other.pid, 'another process\'s pid file is left alone');
    } finally {
      other.kill('SIGKILL');
    }

    await writeFile(path, `${noSuchProcess}\n`); // stale
    assert.deepEqual(await writePidFile(path), { pid: noSuchProcess, runs: 'ended' });
    await removePidFile(path);
    assert.equal(await readPidFile(path), undefined);
  });

  it('is taken over when its process is not Junction: the id went to another program since', { skip: process.platform !== 'linux' && 'tells through /proc' }, async () => {
    const path = join(dir, 'reused.pid');
    const program = await standInJunction({ name: 'some-other-daemon' });
    try {
      await writeFile(path, `${program.pid}\n`);
      assert.equal(runningAs(program.pid), 'other');
      assert.deepEqual(await writePidFile(path), { pid: program.pid, runs: 'other' });
      assert.equal(await readPidFile(path), process.pid);
    } finally {
      program.kill('SIGKILL');
      await removePidFile(path);
    }
  });

  it('a stale file is taken over by one of several starts at once, not by each', { skip: process.platform !== 'linux' && 'tells through /proc' }, async () => {
    const path = join(dir, 'raced.pid');
    const moduleUrl = new URL('./pid-file.js', import.meta.url).href;
    // Each racer passes for a Junction (its last word), takes the file at "go" and lives on while it holds it.
    const script = `const { writePidFile } = await import(${JSON.stringify(moduleUrl)});
      process.stdin.once('data', () => writePidFile(${JSON.stringify(path)}).then(() => console.log('held'), (error) => console.log(error.constructor.name)));
      setInterval(() => {}, 1000); console.log('ready');`;
    for (let round = 0; round < 5; round++) {
      await writeFile(path, `${noSuchProcess}\n`);
      const racers = Array.from({ length: 6 }, () => spawnOwned(process.execPath, ['--input-type=module', '-e', script, 'junction'], { stdio: ['pipe', 'pipe', 'inherit'] }));
      try {
        await Promise.all(racers.map((racer) => once(racer.stdout!, 'data')));
        const answers = racers.map(async (racer) => String((await once(racer.stdout!, 'data') as [Buffer])[0]).trim());
        for (const racer of racers) racer.stdin!.write('go\n');
        const said = await Promise.all(answers);
        const holders = racers.filter((_, index) => said[index] === 'held');
        assert.equal(holders.length, 1, `round ${round}: ${said.join(', ')}`);
        assert.deepEqual(said.filter((answer) => answer !== 'held'), Array(5).fill('PidFileHeld'));
        assert.equal(await readPidFile(path), holders[0]!.pid);
      } finally {
        for (const racer of racers) racer.kill('SIGKILL');
        await Promise.all(racers.map((racer) => (racer.exitCode === null && racer.signalCode === null ? once(racer, 'exit') : undefined)));
      }
    }
  });

  it("takes a stale file over past the lock a start that died while taking it over left, once that lock is old", async () => {
    const path = join(dir, 'left-lock.pid');
    await writeFile(path, `${noSuchProcess}\n`);
    await writeFile(`${path}.lock`, `${noSuchProcess}\n`);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, old, old);
    assert.deepEqual(await writePidFile(path), { pid: noSuchProcess, runs: 'ended' });
    assert.equal(await readPidFile(path), process.pid);
    await removePidFile(path);
  });

  it('reads Crossbar\'s node.pid JSON and the plain id alike; anything else names no process', async () => {
    const path = join(dir, 'read.pid');
    await writeFile(path, '{\n    "pid": 4242,\n    "argv": ["crossbar", "start"]\n}\n');
    assert.equal(await readPidFile(path), 4242);
    await writeFile(path, ' 4243\n');
    assert.equal(await readPidFile(path), 4243);
    for (const garbage of ['{"pid": "4242"}', '{"pid": 42', 'abc', '-5', '0', '']) {
      await writeFile(path, garbage);
      assert.deepEqual(await pidFileOwner(path), { pid: undefined }, garbage);
    }
    assert.deepEqual(await pidFileOwner(join(dir, 'absent.pid')), { pid: undefined });
    // A file whose content names no process is replaced, not refused.
    await writeFile(path, 'abc');
    assert.equal(await writePidFile(path, JSON.stringify({ pid: process.pid })), undefined);
    assert.equal(await readPidFile(path), process.pid);
  });

  it("counts a process run through a link named crossbar or crossbarfx as Junction (Crossbar's command lines)", { skip: process.platform !== 'linux' && 'tells through /proc' }, async () => {
    for (const name of ['crossbar', 'crossbarfx', '/usr/local/bin/crossbarfx']) {
      const program = await standInJunction({ name });
      try {
        assert.equal(runningAs(program.pid), 'junction', name);
      } finally {
        program.kill('SIGKILL');
      }
    }
  });

  it('a process that has ended is "ended", also while a zombie its parent has not reaped', { skip: process.platform !== 'linux' && 'tells through /proc' }, async () => {
    const child = await standInJunction();
    assert.equal(runningAs(child.pid), 'junction');
    child.kill('SIGTERM');
    await within(once(child, 'exit'), 'the stand-in to exit after SIGTERM', 30_000);
    assert.equal(runningAs(child.pid), 'ended');

    // A parent that never reaps (sleep, exec'd by the shell that started the child): the child stays a zombie.
    const shell = spawnOwned('/bin/sh', ['-c', `'${process.execPath}' -e 'setTimeout(() => {}, 100)' junction & echo $!; exec sleep 30`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [chunk] = await once(shell.stdout!, 'data') as [Buffer];
      const zombie = Number(chunk.toString().trim());
      await waitFor(() => /\) Z/.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')), 'the child to end', 30_000);
      assert.equal(isRunning(zombie), true, 'signal 0 still reaches a zombie');
      assert.equal(runningAs(zombie), 'ended');
    } finally {
      shell.kill('SIGKILL');
    }
  });
});
