import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { skipUnlessCi, skipWithoutDebian } from './debian.js';
import { OwnedProcess, processStat, whileStopped } from './owned-process.js';
import { runOwned } from './processes.js';
import { waitFor } from './wait.js';

const helper = JSON.stringify(new URL('./owned-process.js', import.meta.url).href);

/**
 * A node that starts a child, says the child's pid, and waits: the child is not ours, but under
 * ours. The child lives a minute at most, and ends sooner once its parent is gone (a test kills the
 * parent with SIGKILL, which would leave it behind: .ci/run fails on a process the tests left). It
 * is given its parent's pid: the parent may be gone before the child's first line runs.
 */
const child = 'const parent = Number(process.argv[1]); setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 100); setTimeout(() => process.exit(0), 60000)';
function parentOfOne(): { parent: ReturnType<typeof spawn>; childPid: Promise<number> } {
  const parent = spawn(process.execPath, ['-e', `
    const child = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}, String(process.pid)], { stdio: 'ignore' });
    console.log(child.pid);
    setTimeout(() => {}, 60000);
  `], { stdio: ['ignore', 'pipe', 'inherit'] });
  const childPid = once(parent.stdout!, 'data').then(([line]) => Number(String(line).trim()));
  return { parent, childPid };
}

const parents: ReturnType<typeof spawn>[] = [];
after(() => parents.forEach((parent) => parent.kill('SIGKILL')));

/** Fresh pid and user namespaces (util-linux's unshare), where a test may choose the next pid (ns_last_pid) to make a pid be reused at once. */
const namespaceSkip = skipWithoutDebian('util-linux') || (spawnSync('unshare', ['-rpf', '--mount-proc', 'true']).status === 0
  ? false : skipUnlessCi('unshare -rpf cannot make pid and user namespaces here (unprivileged user namespaces are off)'));

/**
 * Runs an ES module in a pid namespace of its own (pid 2: a shell is its pid 1, which outlives it
 * half a second), then the namespace ends and the kernel kills whatever is left in it. Its output.
 */
async function inPidNamespace(module: string): Promise<string> {
  const { stdout, stderr } = await runOwned('unshare', ['-rpf', '--mount-proc', 'sh', '-c', 'node --input-type=module -e "$1"; sleep 0.5', 'sh', module], 30_000);
  assert.doesNotMatch(stderr, /Error/, stderr);
  return stdout;
}

describe('OwnedProcess: signals only a process a test started (or one under it) while its pid is still its own', () => {
  it('signals a process under a child of ours: stopped, continued, killed', async () => {
    const { parent, childPid } = parentOfOne();
    parents.push(parent);
    const child = OwnedProcess.under(parent, await childPid, 'the child');
    await whileStopped([child], () => waitFor(() => processStat(child.pid)?.state === 'T', 'the child stopped', 10_000));
    await waitFor(() => processStat(child.pid)?.state !== 'T', 'the child continued once the body has ended', 10_000);
    child.signal('SIGKILL');
    await waitFor(() => !child.running(), 'the child to be gone', 10_000);
  });

  it('refuses a pid that is not under the given child, and a child that has exited', async () => {
    const { parent, childPid } = parentOfOne();
    parents.push(parent);
    await childPid;
    assert.throws(() => OwnedProcess.under(parent, process.pid, 'this process'), /this process: process \d+ is not under process \d+/);
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    assert.throws(() => OwnedProcess.of(parent, 'the parent'), /the parent has exited/);
  });

  it('continues what it stopped when a body fails, and stays quiet about one that is gone meanwhile', async () => {
    const { parent, childPid } = parentOfOne();
    parents.push(parent);
    const child = OwnedProcess.under(parent, await childPid, 'the child');
    await assert.rejects(whileStopped([child], async () => {
      throw new Error('the test failed midway');
    }), /failed midway/);
    await waitFor(() => processStat(child.pid)?.state !== 'T', 'the child continued', 10_000);
    await whileStopped([child], async () => {
      child.signal('SIGKILL');
      await waitFor(() => !child.running(), 'the child to be gone', 10_000);
    });
    assert.throws(() => child.signal('SIGSTOP'), /SIGSTOP not sent: the child \(pid \d+\) has exited/);
  });

  it('refuses a pid the kernel has handed to another process since', { skip: namespaceSkip }, async () => {
    // In the namespace: a process is named, ends and is reaped; the next one is given its pid; the name must not reach it.
    const said = await inPidNamespace(`
      import { spawn } from 'node:child_process';
      import { once } from 'node:events';
      import { writeFileSync } from 'node:fs';
      import { OwnedProcess, processStat } from ${helper};
      const first = spawn('sleep', ['60']);
      const named = OwnedProcess.of(first, 'the first');
      first.kill('SIGKILL');
      await once(first, 'exit');
      writeFileSync('/proc/sys/kernel/ns_last_pid', String(named.pid - 1));
      const second = spawn('sleep', ['60']);
      const refusals = [];
      for (const signal of ['SIGSTOP', 'SIGKILL']) {
        try { named.signal(signal); refusals.push('sent'); } catch (error) { refusals.push(error.message); }
      }
      const cleanup = named.signalIfRunning('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 200));
      console.log(JSON.stringify({ reused: second.pid === named.pid, refusals, cleanup, secondState: processStat(second.pid)?.state }));
      second.kill('SIGKILL');
    `);
    const outcome = JSON.parse(said) as { reused: boolean; refusals: string[]; secondState: string; cleanup: boolean };
    assert.equal(outcome.reused, true, 'the second process was given the first one\'s pid');
    assert.equal(outcome.refusals.length, 2);
    outcome.refusals.forEach((refusal, index) => assert.match(refusal, new RegExp(`^${['SIGSTOP', 'SIGKILL'][index]} not sent: the first \\(pid \\d+\\) has exited$`)));
    assert.match(outcome.secondState, /^[RSD]$/, 'the process now under that pid runs on, neither stopped nor killed');
    assert.equal(outcome.cleanup, false);
  });

  it('continues what it stopped when the test process exits without continuing it (a test that timed out)', { skip: namespaceSkip }, async () => {
    // The stopped process says when it runs again; the shell (pid 1) waits half a second for it after the stopper exits.
    const said = await inPidNamespace(`
      import { spawn } from 'node:child_process';
      import { once } from 'node:events';
      import { OwnedProcess } from ${helper};
      const sleeper = spawn(process.execPath, ['-e', 'process.on("SIGCONT", () => { console.log("continued"); process.exit(0); }); require("node:fs").writeSync(3, "ready"); setTimeout(() => {}, 60000)'],
        { stdio: ['ignore', 'inherit', 'inherit', 'pipe'] });
      await once(sleeper.stdio[3], 'data');
      OwnedProcess.of(sleeper, 'the sleeper').signal('SIGSTOP');
      console.log('stopped');
      process.exit(0);
    `);
    assert.equal(said, 'stopped\ncontinued\n');
  });
});
