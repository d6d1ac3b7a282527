import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, junctionBin, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { processStat } from '../support/owned-process.js';
import { processGone, spawnOwned } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const fixture = fileURLToPath(new URL('../fixtures/owner/starts-servers.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'junction-orphans-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** How long what a killed test process started may take to go: the parent check, then the router's workers stopping. Not a speed claim. */
const goneWithinMs = 30_000;

/** Every process descended from `root` now (Linux: each /proc/PID/stat names its parent). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const ppid = /^\d+$/.test(entry) ? processStat(Number(entry))?.ppid : undefined; // undefined: gone meanwhile
    if (ppid !== undefined) parents.set(Number(entry), ppid);
  }
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const next = [...parents].filter(([, parent]) => frontier.includes(parent)).map(([pid]) => pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/**
 * Starts `args` (a test process, or a runner of one), waits until the test process has its
 * servers (`processes` in all below what was started), and returns what was started and the tree under it.
 */
async function started(args: string[], name: string, processes: number): Promise<{ starter: ChildProcess; tree: number[] }> {
  const pidsFile = join(dir, `${name}.pid`);
  // Without NODE_TEST_CONTEXT, which this file's own runner sets: a `node --test` that has it acts as a runner's child.
  const { NODE_TEST_CONTEXT: _ours, ...env } = process.env;
  const child = spawnOwned(process.execPath, args, { env: { ...env, OWNER_PIDS_FILE: pidsFile }, stdio: 'ignore' });
  await waitFor(() => existsSync(pidsFile) && readFileSync(pidsFile, 'utf8') !== '', `${name} to start its servers`, 40_000);
  // The router's second worker may still be starting when the first serves.
  await waitFor(() => descendants(child.pid!).length >= processes, `${processes} processes under ${name}`, 20_000);
  return { starter: child, tree: descendants(child.pid!) };
}

const skip = skipWithoutDebian('util-linux') || skipWithoutDebian('redis-server');

describe('the workers of `junction start --workers 2` whose parent is killed', () => {
  it('end, whatever point of their start the parent dies at: none waits for a parent that is gone', async () => {
    // From just forked (loading modules) to about serving; which step each delay hits depends on the machine's speed.
    for (const delayMs of [0, 300, 700, 1_200]) {
      const junction = spawnOwned(process.execPath, [junctionBin, 'start', '--port', String(await freePort()), '--workers', '2'], { stdio: 'ignore' });
      const parent = junction.pid!;
      try {
        await waitFor(() => descendants(parent).length === 2, 'both workers to be forked', 20_000);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const workers = descendants(parent);
        junction.kill('SIGKILL');
        await waitFor(() => workers.every(processGone), `workers ${workers.join(', ')} to be gone, the parent killed ${delayMs} ms after forking them`, goneWithinMs);
      } finally {
        junction.kill('SIGKILL');
      }
    }
  });

  it('stop as on SIGTERM once they serve (their stop logged), then exit: not cut short at once by node:cluster', async () => {
    const junction = RunningJunction.start(['--port', String(await freePort()), '--workers', '2']);
    try {
      const workers = await junction.workers(2);
      junction.kill();
      await waitFor(() => [...workers.values()].every((worker) => !worker.running()), 'both workers to be gone, the parent killed', goneWithinMs);
      for (const node of workers.keys()) {
        // Workers write to the parent's output, which this process still reads after the parent is gone.
        await junction.waitForLine((line) => line.node === node && line.msg === 'signal received' && line.signal === 'parent process gone', goneWithinMs);
      }
    } finally {
      junction.kill();
    }
  });
});

describe('servers started by a test process end with it, however it ends', { skip }, () => {
  it('a test process killed with SIGKILL: its router (and the router\'s workers) and redis-server are gone', async () => {
    // The router, its two workers and the redis-server (setpriv exec'd into each it started).
    const { starter, tree } = await started([fixture], 'killed', 4);
    starter.kill('SIGKILL');
    await waitFor(() => tree.every(processGone), `every process it started (${tree.join(', ')}) to be gone`, goneWithinMs);
  });

  it('the `node --test` runner killed with SIGKILL: the test file it ran ends, and what that started with it', async () => {
    // The test process, and under it the same four.
    const { starter, tree } = await started(['--test', fixture], 'runner', 5);
    starter.kill('SIGKILL');
    await waitFor(() => tree.every(processGone), `the test process and every process it started (${tree.join(', ')}) to be gone`, goneWithinMs);
  });
});
