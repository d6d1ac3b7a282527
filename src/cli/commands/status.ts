import { readArguments, refuseArguments } from '../command-line.js';
import { crossbarGlobalOptionsNote } from '../crossbar-spellings.js';
import type { CommandIo } from '../io.js';
import { controlledNode, noNodeFolderText, nodeUnavailableExitCode, ownerNote } from '../node-folder.js';

const states = ['running', 'stopped'] as const;

export const usage = `Usage: junction status [--cbdir DIR | --pid-file FILE] [--assert running|stopped]

Says whether a node is running from node directory DIR (the one "junction start --cbdir DIR"
runs), or with --pid-file FILE. Without options DIR is $CROSSBAR_DIR when that is set (as
Crossbar), else .crossbar when that folder exists, else .junction. Exit code 0; with --assert, ${nodeUnavailableExitCode} (as Crossbar) when the node is not in that state.

${crossbarGlobalOptionsNote}`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = readArguments(io, 'status', usage, {
    args: argv,
    options: { cbdir: { type: 'string' }, 'pid-file': { type: 'string' }, assert: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  const asserted = parsed.values.assert;
  if (asserted !== undefined && !(states as readonly string[]).includes(asserted)) {
    return refuseArguments(io, 'status', `--assert must be ${states.join(' or ')}, got "${asserted}"`, usage);
  }
  const found = await controlledNode('status', parsed.values, io, usage);
  if (typeof found === 'number') return found;
  const { node, owner, runningPid } = found;
  const state = runningPid !== undefined ? 'running' : 'stopped';
  const stopped = node.noFolder ? noNodeFolderText('status') : `no node is running ${node.where}${ownerNote(owner)}`;
  io.stdout(runningPid !== undefined ? `running (PID ${runningPid}) ${node.where}\n` : `stopped: ${stopped}\n`);
  if (asserted === undefined || asserted === state) return 0;
  io.stderr(`junction status: --assert ${asserted} failed: the node is ${state}\n`);
  return nodeUnavailableExitCode;
}
