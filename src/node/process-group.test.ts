import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { skipWithoutDebian } from '../../test/support/debian.js';
import { OwnedProcess } from '../../test/support/owned-process.js';
import { waitFor } from '../../test/support/wait.js';
import { spawnGroupLeader } from './process-group.js';

const home = mkdtempSync(join(tmpdir(), 'junction-process-group-'));
const leftovers: OwnedProcess[] = [];
after(() => {
  for (const leftover of leftovers) leftover.signalGroupIfRunning('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

const node = process.execPath;
const launch = { cwd: home, env: { PATH: process.env.PATH ?? '' } };

interface Outcome {
  code?: number | null;
  signal?: string | null;
  stdout?: string;
  error?: string;
}

function outcome(command: string, args: string[], options = launch): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawnGroupLeader(command, args, options);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.once('error', (error) => resolve({ error: error.message }));
    child.once('close', (code, signal) => resolve({ code, signal, stdout }));
  });
}

describe('spawnGroupLeader', () => {
  it('runs the program itself, with its pid, its own process group, its exit code and its stdin and stdout', async () => {
    const child = spawnGroupLeader(node, ['-e', 'process.stdin.pipe(process.stdout); process.stdin.on("end", () => { console.log(" " + process.pid + " " + require("node:fs").readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ")[2]); process.exit(3); })'], launch);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdin.end('echoed');
    const [code] = await once(child, 'close');
    assert.equal(code, 3);
    assert.equal(stdout.trim(), `echoed ${child.pid} ${child.pid}`, 'stdin reaches it, its pid is the spawned one, and it leads its group');
  });

  it('reports a signal that ended the program', async () => {
    const result = await outcome(node, ['-e', 'process.kill(process.pid, "SIGUSR2")']);
    assert.deepEqual([result.code, result.signal], [null, 'SIGUSR2']);
  });

  it("finds a bare name on the environment's PATH, and reports a program that cannot start with Node's own error", async () => {
    assert.equal((await outcome('sh', ['-c', 'echo found'])).stdout, 'found\n');
    assert.match((await outcome('no-such-program-anywhere', [])).error ?? '', /^spawn no-such-program-anywhere ENOENT$/);
    assert.match((await outcome(node, ['-e', ''], { ...launch, cwd: join(home, 'missing') })).error ?? '', /ENOENT/);
    assert.doesNotMatch((await outcome('./not-here', [])).error ?? '', /setpriv/);
  });

  it('ends the program with SIGTERM when the process that started it is killed with SIGKILL', { skip: skipWithoutDebian('util-linux') }, async () => {
    // A Node process that starts a program through spawnGroupLeader, says its pid, and waits to be killed.
    const module = new URL('./process-group.js', import.meta.url).href;
    const starter = spawn(node, ['--input-type=module', '-e', `
      import { spawnGroupLeader } from ${JSON.stringify(module)};
      const child = spawnGroupLeader(process.execPath, ['-e', 'setTimeout(() => {}, 60000); console.log("ready")'], { cwd: process.cwd(), env: process.env });
      child.stdout.once('data', () => console.log(String(child.pid)));
      setTimeout(() => {}, 60000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(starter.stdout, 'data')) as [Buffer];
    const pid = Number(line.toString().trim());
    const program = OwnedProcess.under(starter, pid, 'the program');
    leftovers.push(program);
    starter.kill('SIGKILL');
    await waitFor(() => !program.running(), `the program ${pid} ended after the one that started it was killed`, 10_000);
  });
});
