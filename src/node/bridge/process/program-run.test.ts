import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { processGone } from '../../../../test/support/processes.js';
import { waitFor } from '../../../../test/support/wait.js';
import { checkProgram, programEnvironment } from './program-environment.js';
import { runProgram, type RunOutcome } from './program-run.js';

const limits = { timeoutMs: 5_000, maxOutputBytes: 1_000, killGraceMs: 200 };
let folder: string;
/** Long enough for a node program to start and write its pid file on a loaded machine (300 ms was not). */
const startupMarginMs = 2_000;
before(async () => (folder = await mkdtemp(join(tmpdir(), 'junction-run-'))));
after(() => rm(folder, { recursive: true, force: true }));

/** Runs `node -e script` with the given input. */
function node(script: string, input = '', more: Partial<typeof limits> = {}, signal?: AbortSignal): Promise<RunOutcome> {
  return runProgram({ command: [process.execPath, '-e', script], cwd: folder, env: programEnvironment({}) }, input, { ...limits, ...more }, signal);
}

/** Waits (bounded) until the process `pid` is gone. */
function waitGone(pid: number): Promise<void> {
  return waitFor(() => processGone(pid), `process ${pid} to be gone`);
}

describe('runProgram', () => {
  it('feeds stdin and collects stdout and the exit code', async () => {
    const outcome = await node('let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(s.toUpperCase());process.exit(0)})', 'hello');
    assert.equal(outcome.kind, 'exited');
    assert.equal(outcome.kind === 'exited' && outcome.stdout.toString(), 'HELLO');
  });

  it('reports a non-zero exit with the end of stderr', async () => {
    const outcome = await node('for(let i=1;i<=50;i++)console.error("problem "+i);process.exit(7)');
    assert.equal(outcome.kind, 'exited');
    if (outcome.kind !== 'exited') return;
    assert.equal(outcome.code, 7);
    assert.deepEqual(outcome.stderr.split('\n'), Array.from({ length: 20 }, (_, index) => `problem ${31 + index}`));
  });

  it('reports death by a signal', async () => {
    const outcome = await node('process.kill(process.pid, "SIGSEGV")');
    assert.deepEqual(outcome.kind === 'killed-by-signal' && outcome.signal, 'SIGSEGV');
  });

  it('does not mind a program that never reads its input', async () => {
    const outcome = await node('process.exit(0)', 'x'.repeat(1_000_000));
    assert.deepEqual([outcome.kind, outcome.kind === 'exited' && outcome.code], ['exited', 0]);
  });

  it('terminates a run past the timeout; SIGKILL follows when SIGTERM is ignored', async () => {
    const pidFile = join(folder, 'stubborn.pid');
    const outcome = await node(`process.on("SIGTERM",()=>{});require("fs").writeFileSync(${JSON.stringify(pidFile)},String(process.pid));setInterval(()=>{},1000)`, '', { timeoutMs: startupMarginMs });
    assert.equal(outcome.kind, 'timeout');
    await waitGone(Number(await readFile(pidFile, 'utf8')));
  });

  it('kills the whole process group: a grandchild dies with the program', async () => {
    const pidFile = join(folder, 'family.pid');
    const script = `const c=require("child_process").spawn(process.execPath,["-e","setInterval(()=>{},1000)"],{stdio:"ignore"});` +
      `require("fs").writeFileSync(${JSON.stringify(pidFile)},JSON.stringify([process.pid,c.pid]));setInterval(()=>{},1000)`;
    const outcome = await node(script, '', { timeoutMs: startupMarginMs });
    assert.equal(outcome.kind, 'timeout');
    const [program, grandchild] = JSON.parse(await readFile(pidFile, 'utf8')) as [number, number];
    await waitGone(program);
    await waitGone(grandchild);
  });

  it('kills what a finished program left running, and does not wait for its pipes', async () => {
    const pidFile = join(folder, 'leftover.pid');
    // The grandchild inherits stdout: without the clean-up the run would end only with it.
    const script = `const c=require("child_process").spawn(process.execPath,["-e","setInterval(()=>{},1000)"],{stdio:"inherit"});` +
      `require("fs").writeFileSync(${JSON.stringify(pidFile)},String(c.pid));process.stdout.write("done");setTimeout(()=>process.exit(0),50)`;
    const outcome = await node(script);
    assert.deepEqual([outcome.kind, outcome.kind === 'exited' && outcome.stdout.toString()], ['exited', 'done']);
    await waitGone(Number(await readFile(pidFile, 'utf8')));
  });

  it('terminates a run that writes more than the output limit', async () => {
    const outcome = await node('setInterval(()=>process.stdout.write("x".repeat(500)),1)', '', { maxOutputBytes: 1_000 });
    assert.equal(outcome.kind, 'output-too-large');
  });

  it('terminates a run when aborted', async () => {
    const controller = new AbortController();
    const run = node('console.error("started");setInterval(()=>{},1000)', '', {}, controller.signal);
    controller.abort(new Error('canceled'));
    const outcome = await run;
    assert.equal(outcome.kind, 'aborted');
  });

  it('reports a program that cannot be started', async () => {
    const outcome = await runProgram({ command: [join(folder, 'missing')], cwd: folder, env: programEnvironment({}) }, '', limits);
    assert.equal(outcome.kind, 'not-started');
    assert.match(outcome.kind === 'not-started' ? outcome.message : '', /ENOENT/);
  });
});

describe('program environment', () => {
  it('holds PATH, HOME, LANG and the configured variables, nothing else of the router\'s', () => {
    const env = programEnvironment({ APP_MODE: 'test' }, { PATH: '/bin', HOME: '/home/r', LANG: 'C', ROUTER_SECRET: 'x' });
    assert.deepEqual(env, { PATH: '/bin', HOME: '/home/r', LANG: 'C', APP_MODE: 'test' });
  });

  it('checks the program and its folder at start-up', async () => {
    await checkProgram([process.execPath], folder, programEnvironment({}));
    await checkProgram(['node'], folder, { PATH: `/nonexistent:${join(process.execPath, '..')}` });
    await assert.rejects(checkProgram([], folder, {}), /command is empty/);
    await assert.rejects(checkProgram(['no-such-program-anywhere'], folder, { PATH: '/usr/bin' }), /"no-such-program-anywhere" is not found on the program's PATH \(\/usr\/bin\)/);
    await assert.rejects(checkProgram(['./missing.sh'], folder, {}), /missing\.sh" does not exist or is not executable/);
    await assert.rejects(checkProgram([process.execPath], join(folder, 'nope'), {}), /working directory ".*nope" is not usable/);
  });
});
