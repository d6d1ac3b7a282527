import { setTimeout as sleep } from 'node:timers/promises';
import { runningAs } from '../../node/pid-file.js';
import { readArguments } from '../command-line.js';
import { crossbarGlobalOptionsNote } from '../crossbar-spellings.js';
import type { CommandIo } from '../io.js';
import { controlledNode, noNodeFolderText, nodeUnavailableExitCode, ownerNote } from '../node-folder.js';

/** How long the node has to end after SIGTERM (a --workers parent gives its workers 10 s), then after SIGKILL. */
export const stopWaits = { afterTermMs: 30_000, afterKillMs: 5_000 };

export const usage = `Usage: junction stop [--cbdir DIR | --pid-file FILE]

Stops the node running from node directory DIR (the one "junction start --cbdir DIR" runs; it
keeps DIR/node.pid), or the one started with --pid-file FILE. Without options DIR is
$CROSSBAR_DIR when that is set (as Crossbar), else .crossbar when that folder exists, else .junction.
It sends the node SIGTERM (it says GOODBYE to its sessions; a --workers parent stops its workers)
and waits up to ${stopWaits.afterTermMs / 1000} s for it to end; one still running then gets SIGKILL.
Exit code 0 once the node has ended; ${nodeUnavailableExitCode} (as Crossbar) when no node runs there; 1 when it did not end.

${crossbarGlobalOptionsNote}`;

export async function run(argv: string[], io: CommandIo, waits = stopWaits): Promise<number> {
  const parsed = readArguments(io, 'stop', usage, {
    args: argv,
    options: { cbdir: { type: 'string' }, 'pid-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  const found = await controlledNode('stop', parsed.values, io, usage);
  if (typeof found === 'number') return found;
  const { node, owner, runningPid: pid } = found;
  if (pid === undefined) {
    io.stderr(`junction stop: ${node.noFolder ? noNodeFolderText('stop') : `no node is running ${node.where}${ownerNote(owner)}`}\n`);
    return nodeUnavailableExitCode;
  }
  const refused = sendSignal(pid, 'SIGTERM');
  if (refused !== undefined) {
    io.stderr(`junction stop: cannot signal process ${pid} (${refused}): it runs as another user\n`);
    return 1;
  }
  io.stdout(`stopping the node running ${node.where} (PID ${pid}): SIGTERM sent, waiting up to ${waits.afterTermMs / 1000} s\n`);
  if (await hasEnded(pid, waits.afterTermMs)) {
    io.stdout(`process ${pid} has ended\n`);
    return 0;
  }
  sendSignal(pid, 'SIGKILL');
  io.stdout(`process ${pid} still runs after ${waits.afterTermMs / 1000} s: SIGKILL sent\n`);
  if (await hasEnded(pid, waits.afterKillMs)) {
    io.stdout(`process ${pid} was killed\n`);
    return 0;
  }
  io.stderr(`junction stop: process ${pid} still runs ${waits.afterKillMs / 1000} s after SIGKILL\n`);
  return 1;
}

/** Sends `signal` to `pid`; the error code when it may not (EPERM), none when sent or the process is already gone. */
function sendSignal(pid: number, signal: NodeJS.Signals): string | undefined {
  try {
    process.kill(pid, signal);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ESRCH' ? undefined : code;
  }
}

/** True once the process has ended, false when it still runs after `waitMs`. */
async function hasEnded(pid: number, waitMs: number): Promise<boolean> {
  const pollMs = 100;
  for (let waited = 0; waited < waitMs; waited += pollMs) {
    if (runningAs(pid) === 'ended') return true;
    await sleep(pollMs);
  }
  return runningAs(pid) === 'ended';
}
