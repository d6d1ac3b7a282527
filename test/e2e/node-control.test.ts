import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, RunningJunction, runJunction } from '../support/cli.js';
import { processGone } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * One node per node folder, as Crossbar: `junction start` keeps .crossbar/node.pid, a second start
 * there is refused, and `junction status` and `junction stop` find the node through it (the way
 * crossbar-examples' Makefiles call `crossbar stop --cbdir=... || true`).
 */

const running: RunningJunction[] = [];
let home: string;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'junction-node-control-'));
  const init = await runJunction(['init', join(home, '.crossbar')]);
  assert.equal(init.code, 0, init.stderr);
});

after(async () => {
  running.forEach((junction) => junction.kill());
  await rm(home, { recursive: true, force: true });
});

/** `junction start ARGS` in `home`, on a free loopback port, once it serves. */
async function startNode(args: string[]): Promise<RunningJunction> {
  const junction = RunningJunction.start(['--host', '127.0.0.1', '--port', String(await freePort()), ...args], home);
  running.push(junction);
  await junction.url();
  return junction;
}

/** `junction ARGS` run in `home`. */
const junctionIn = (args: string[]) => runJunction(args, undefined, home);

const nodePid = join('.crossbar', 'node.pid');

describe('junction start, status and stop on one node folder', () => {
  it('start runs ./.crossbar and holds its node.pid; status says running; a second start is refused; stop ends it; status says stopped', async () => {
    const junction = await startNode([]);
    const pid = junction.child.pid!;
    assert.ok(junction.lines.some((line) => line.msg === 'running the node folder found here, as Crossbar does without --cbdir'));
    assert.equal((JSON.parse(await readFile(join(home, nodePid), 'utf8')) as { pid: number }).pid, pid);

    const status = await junctionIn(['status', '--assert', 'running']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stdout, `running (PID ${pid}) from node directory ${join(home, '.crossbar')}\n`);

    const second = await junctionIn(['start', '--host', '127.0.0.1', '--port', String(await freePort())]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`^junction start: cannot start: a node is already running from node directory ${join(home, '.crossbar')} \\(PID ${pid}\\); stop it first: .* stop --cbdir \\.crossbar\\n$`));
    assert.doesNotMatch(second.stdout, /listening/);

    const stop = await junctionIn(['stop', '--cbdir=./.crossbar']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, new RegExp(`SIGTERM sent.*\\nprocess ${pid} has ended\\n$`));
    assert.equal(await junction.waitForExit(), 0);
    assert.equal(existsSync(join(home, nodePid)), false, 'the node removes its node.pid as it stops');

    assert.equal((await junctionIn(['status', '--assert', 'stopped'])).code, 0);
    const notRunning = await junctionIn(['status', '--assert=running']);
    assert.equal(notRunning.code, 69);
    assert.match(notRunning.stdout, /^stopped: no node is running from node directory /);
    assert.equal((await junctionIn(['stop', '--cbdir', '.crossbar'])).code, 69, 'stop || true in a Makefile: nothing to stop');
  });

  it('takes over the node.pid of a node that was killed', async () => {
    const killed = await startNode(['--cbdir', '.crossbar']);
    const stalePid = killed.child.pid!;
    killed.child.kill('SIGKILL');
    await killed.waitForExit();
    assert.match((await junctionIn(['status'])).stdout, new RegExp(`^stopped: .* \\(its pid file names process ${stalePid}, which has ended\\)\\n$`));

    const junction = await startNode(['--cbdir', '.crossbar']);
    const tookOver = await junction.waitForLine((line) => line.msg.startsWith('took over the pid file'));
    assert.equal(tookOver.msg, `took over the pid file of process ${stalePid}, which has ended`);
    assert.match((await junctionIn(['status'])).stdout, new RegExp(`^running \\(PID ${junction.child.pid}\\)`));
    assert.equal((await junctionIn(['stop'])).code, 0);
    assert.equal(await junction.waitForExit(), 0);
  });

  it('--workers 2 with --pid-file: the parent holds it, reload reaches every worker through it, stop ends the parent and its workers', async () => {
    const pidFile = join(home, 'junction.pid');
    const junction = await startNode(['--workers', '2', '--pid-file', pidFile]);
    await junction.started((line) => line.msg === 'worker serving' && line.node === 'w2');
    await junction.started((line) => line.msg === 'worker serving' && line.node === 'w1');
    const workerPids = junction.lines.filter((line) => line.msg === 'worker serving').map((line) => Number(line.pid));
    assert.equal(workerPids.length, 2);
    assert.equal((await readFile(pidFile, 'utf8')).trim(), String(junction.child.pid));
    assert.match((await junctionIn(['status', '--pid-file', pidFile])).stdout, new RegExp(`^running \\(PID ${junction.child.pid}\\) with pid file `));

    const reload = await junctionIn(['reload', '--pid-file', pidFile]);
    assert.equal(reload.code, 0, reload.stderr);
    assert.equal(reload.stdout, 'reloaded:\n  passed to the 2 workers: each applies the changes and logs them\n');
    await junction.waitForLine((line) => line.node === 'w1' && line.msg === 'reload: the configuration is unchanged');
    await junction.waitForLine((line) => line.node === 'w2' && line.msg === 'reload: the configuration is unchanged');

    const stop = await junctionIn(['stop', '--pid-file', pidFile]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await junction.waitForExit(), 0);
    for (const pid of workerPids) await waitFor(() => processGone(pid), `worker ${pid} gone`, 10_000);
    assert.equal(existsSync(pidFile), false);
    assert.equal(existsSync(join(home, 'junction.sock')), false);
    assert.equal(existsSync(join(home, nodePid)), false);
  });
});
