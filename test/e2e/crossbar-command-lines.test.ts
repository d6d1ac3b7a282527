import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accepts, freePort, junctionBin, RunningJunction, runJunction, STARTUP_MS, type LogLine } from '../support/cli.js';
import { spawnOwned } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * crossbar-examples' command lines, run as they are written through a link named `crossbar`
 * (docs/configuration.md: Crossbar's command lines): Crossbar's option spellings start, report on
 * and stop a node, as `crossbar` did.
 */

const running: RunningJunction[] = [];
let home: string;
let crossbar: string;
let crossbarfx: string;
let port: number;

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'junction-crossbar-cli-'));
  await mkdir(join(home, 'bin'));
  crossbar = join(home, 'bin', 'crossbar');
  await symlink(junctionBin, crossbar);
  crossbarfx = join(home, 'bin', 'crossbarfx');
  await symlink(junctionBin, crossbarfx);
  const init = await runJunction(['init', '--appdir', home]);
  assert.equal(init.code, 0, init.stderr);
  port = await freePort();
  const config = join(home, '.crossbar', 'config.yaml');
  await writeFile(config, (await readFile(config, 'utf8')).replace('port: 8080', `port: ${port}`));
});

after(async () => {
  running.forEach((node) => node.kill());
  await rm(home, { recursive: true, force: true });
});

/** `crossbar ARGS` (or another link's), run in `home` to its end. */
const crossbarIn = (args: string[], link = crossbar) => runJunction(args, undefined, home, link);

/** `crossbar ARGS` (or another link's; a start), running in `home`. */
function startCrossbar(args: string[], link = crossbar): RunningJunction {
  const node = new RunningJunction(spawnOwned(process.execPath, [link, ...args], { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] }));
  running.push(node);
  return node;
}

describe("crossbar-examples' command lines, through a link named crossbar", () => {
  it('crossbar --debug-lifecycle start --personality=community --loglevel=debug --logtofile --logdir=logs --shutdownafter 10: logs to .crossbar/logs/node.log, stops by itself', async () => {
    const node = startCrossbar(['--debug-lifecycle', 'start', '--personality=community', '--cbdir=./.crossbar', '--loglevel=debug', '--logtofile', '--logdir=logs',
      '--color=false', '--logformat=standard', '--shutdownafter', '10']);
    const logFile = join(home, '.crossbar', 'logs', 'node.log');
    // The whole lines written so far (the node may be writing the next one).
    const lines = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(0, -1).map((line) => JSON.parse(line) as { level: number; msg: string }) : []);
    await waitFor(() => lines().some((line) => line.msg === 'listening') || node.child.exitCode !== null, 'the listening line in node.log', STARTUP_MS);
    assert.ok(await accepts(port), node.stderr);

    const status = await crossbarIn(['status', '--personality=community', '--cbdir=./.crossbar', '--assert=running']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^running \(PID \d+\) from node directory /);

    assert.equal(await node.waitForExit(), 0, node.stderr);
    assert.deepEqual(node.lines, [], 'the log goes to the file, not stdout');
    const logged = lines();
    assert.ok(logged.some((line) => line.level === 20), 'debug lines: --loglevel=debug is the debug level');
    assert.ok(logged.some((line) => line.msg === 'stopping the node: --shutdownafter has passed'));
    const stop = await crossbarIn(['stop', '--cbdir=./.crossbar']);
    assert.equal(stop.code, 69, 'crossbar stop || true: nothing runs there any more');
  });

  it('crossbar start --workers 2 --shutdownafter 1: counts from when every worker serves, not from when the parent starts them', async () => {
    const node = startCrossbar(['start', '--cbdir=./.crossbar', '--workers', '2', '--shutdownafter', '1']);
    assert.equal(await node.waitForExit(), 0, node.stderr);
    const at = (line: LogLine) => Date.parse(String(line.time));
    const serving = node.lines.filter((line) => line.msg === 'worker serving');
    const stopping = node.lines.find((line) => line.msg === 'stopping the node: --shutdownafter has passed');
    assert.equal(serving.length, 2, JSON.stringify(node.lines.map((line) => line.msg)));
    assert.ok(stopping, JSON.stringify(node.lines.map((line) => line.msg)));
    // Both lines are the parent's, on its clock; a timer never fires before its time (1 ms: the log's resolution).
    assert.ok(at(stopping) - Math.max(...serving.map(at)) >= 999, `stopped ${at(stopping) - Math.max(...serving.map(at))} ms after the last worker served`);
  });

  it('crossbar edge start --loglevel=warn: only warnings and worse on stdout; crossbar stop ends it', async () => {
    const node = startCrossbar(['edge', 'start', '--loglevel=warn']);
    await waitFor(() => existsSync(join(home, '.crossbar', 'node.pid')) || node.child.exitCode !== null, 'node.pid', STARTUP_MS);
    const deadline = Date.now() + STARTUP_MS;
    while (!(await accepts(port)) && node.child.exitCode === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(await accepts(port), node.stderr);
    const stop = await crossbarIn(['stop', '--personality', 'standalone']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await node.waitForExit(), 0);
    assert.ok(node.lines.every((line) => line.level >= 40), JSON.stringify(node.lines.filter((line) => line.level < 40)));
  });

  it("crossbarfx edge start --cbdir=./.crossbar --shutdownafter 120 --config=...: Crossbar FX's benchmark lines; crossbarfx status and stop find it", async () => {
    const node = startCrossbar(['edge', 'start', '--cbdir=./.crossbar', '--shutdownafter', '120', '--config=config.yaml'], crossbarfx);
    await waitFor(() => node.lines.some((line) => line.msg === 'listening') || node.child.exitCode !== null, 'the listening line', STARTUP_MS);
    assert.ok(await accepts(port), node.stderr);
    const status = await crossbarIn(['status', '--cbdir=./.crossbar', '--assert=running'], crossbarfx);
    assert.equal(status.code, 0, `${status.stdout}${status.stderr}`);
    const stop = await crossbarIn(['stop', '--cbdir=./.crossbar'], crossbarfx);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await node.waitForExit(), 0);
  });

  it('refuses what it cannot mean before anything runs: a management personality, --vmprof (exit 2)', async () => {
    const elsewhere = join(home, 'refused');
    await mkdir(elsewhere);
    for (const args of [['start', '--personality=fabric'], ['network', 'start'], ['--debug-lifecycle', 'start', '--vmprof']]) {
      const refused = await runJunction(args, undefined, elsewhere, crossbar);
      assert.equal(refused.code, 2, args.join(' '));
      assert.match(refused.stderr, /refused: /);
      assert.equal(refused.stdout, '', 'no node started');
    }
  });
});
