import { fork, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './clock.mjs';

/**
 * Every process the bench starts goes through here, so all of them can be stopped at the end,
 * on error, on Ctrl-C, and (with SIGKILL) even when the parent exits abruptly.
 */

const live = new Set();

function track(child, label) {
  child.label = label;
  child.inbox = [];
  child.waiters = [];
  live.add(child);
  child.on('exit', (code, signal) => {
    live.delete(child);
    child.exitInfo = signal ? `signal ${signal}` : `code ${code}`;
    for (const waiter of child.waiters.splice(0)) waiter.reject(new Error(`${label} exited (${child.exitInfo})${child.describeFailure?.() ?? ''}`));
  });
  child.on('message', (message) => {
    if (message?.type === 'error') {
      const error = new Error(`${label} failed: ${message.message}`);
      for (const waiter of child.waiters.splice(0)) waiter.reject(error);
      child.failure = error;
      return;
    }
    const index = child.waiters.findIndex((waiter) => waiter.type === message?.type);
    if (index >= 0) child.waiters.splice(index, 1)[0].resolve(message);
    else child.inbox.push(message);
  });
  return child;
}

/** Forks one of the bench's own modules (path relative to bench/) with JSON settings in argv[2]. */
export function forkBench(relativePath, settings, label, execArgv = process.execArgv) {
  const modulePath = fileURLToPath(new URL(`../${relativePath}`, import.meta.url));
  const child = fork(modulePath, [JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  return track(child, label);
}

/**
 * Spawns an arbitrary command; its output is kept (the last 16 KiB) for error messages, or with
 * `logFile` all of it goes to that file, emptied first (the child writes it directly: nothing is
 * lost and nothing passes through this process). With `ipc`, the child also gets an IPC channel
 * (expectMessage and sendTo work with it).
 */
export function spawnTracked(command, args, options, label, { ipc = false, logFile } = {}) {
  const extra = ipc ? ['ipc'] : [];
  if (logFile) {
    const fd = openSync(logFile, 'w');
    try {
      const child = spawn(command, args, { ...options, stdio: ['ignore', fd, fd, ...extra] });
      child.describeFailure = () => `\n--- ${label} output: ${logFile}`;
      return track(child, label);
    } finally {
      closeSync(fd);
    }
  }
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe', ...extra] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-16_384);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.describeFailure = () => (output ? `\n--- ${label} output ---\n${output.trimEnd()}` : '');
  return track(child, label);
}

/** The next message of `type` from `child` (buffered if it already arrived), within `timeoutMs`. */
export function expectMessage(child, type, timeoutMs) {
  if (child.failure) return Promise.reject(child.failure);
  const index = child.inbox.findIndex((message) => message?.type === type);
  if (index >= 0) return Promise.resolve(child.inbox.splice(index, 1)[0]);
  if (child.exitInfo) return Promise.reject(new Error(`${child.label} already exited (${child.exitInfo})`));
  const waiting = new Promise((resolve, reject) => child.waiters.push({ type, resolve, reject }));
  return withTimeout(waiting, timeoutMs, `waiting for "${type}" from ${child.label}`);
}

export function sendTo(child, message) {
  if (child.connected) child.send(message);
}

/** Asks politely (a 'close' message for forked children, SIGTERM otherwise), then SIGKILLs. */
export async function stopChild(child, graceMs = 3000) {
  if (child.exitInfo) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (child.connected) child.send({ type: 'close' });
  else child.kill('SIGTERM');
  try {
    await withTimeout(exited, graceMs, `stopping ${child.label}`);
  } catch {
    child.kill('SIGKILL');
    await withTimeout(exited, 2000, `killing ${child.label}`).catch(() => {});
  }
}

/** Sends SIGTERM and waits for a clean exit (e.g. so node can write a --cpu-prof profile). */
export async function terminateChild(child, graceMs = 5000) {
  if (child.exitInfo) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  try {
    await withTimeout(exited, graceMs, `terminating ${child.label}`);
  } catch {
    child.kill('SIGKILL');
    await withTimeout(exited, 2000, `killing ${child.label}`).catch(() => {});
  }
}

export async function stopAll() {
  await Promise.all([...live].map((child) => stopChild(child, 1000)));
}

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Stops every child and exits 1 once `ms` have passed: a hung system must not hang the whole run. */
export function stopEverythingAfter(ms, progress, message) {
  const backstop = setTimeout(async () => {
    progress(message);
    await stopAll();
    process.exit(1);
  }, ms);
  backstop.unref();
}

/**
 * Runs a benchmark's `main` (resolving to an exit code) as the process entry point: every child is
 * stopped at the end, after a fatal error, and on SIGINT/SIGTERM (exit 130).
 */
export function runEntryPoint(main, progress) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      progress(`${signal}: stopping all child processes`);
      await stopAll();
      process.exit(130);
    });
  }
  main()
    .catch((error) => {
      progress(`fatal: ${error.stack ?? error}`);
      return 1;
    })
    .then(async (code) => {
      await stopAll();
      process.exit(code);
    });
}
