import { resolve } from 'node:path';
import { controlSocketPath, requestReload } from '../../node/reload/control-socket.js';
import { readArguments, refuseArguments } from '../command-line.js';
import type { CommandIo } from '../io.js';

export const usage = `Usage: junction reload --pid-file FILE

Makes the router started with "junction start --pid-file FILE" read its configuration again and
apply the changes without a restart (docs/configuration.md, "Reloading"). It talks to the
router through the control socket beside FILE (FILE with ".sock" for ".pid"). With --workers
the parent checks the file and every worker applies it, each logging what it changed.
A configuration with problems changes nothing: they are printed and the exit code is 1.
Changes that cannot apply while the router runs are printed too, and the exit code is 1.
What "junction check" warns of (a static directory that does not exist) is printed as a warning.
`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = readArguments(io, 'reload', usage, {
    args: argv,
    options: { 'pid-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  const pidFile = parsed.values['pid-file'];
  if (pidFile === undefined || pidFile.trim() === '') return refuseArguments(io, 'reload', '--pid-file is required', usage);
  const socket = controlSocketPath(resolve(pidFile));

  let outcome;
  try {
    outcome = await requestReload(socket);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
      ? `no router is listening on ${socket} (${err.code}); is it running with --pid-file ${pidFile}?`
      : `${socket}: ${err.message}`;
    io.stderr(`junction reload: ${why}\n`);
    return 1;
  }
  if (!outcome.ok) {
    io.stderr(`junction reload: refused, nothing changed:\n${outcome.error.trimEnd()}\n`);
    return 1;
  }
  if (outcome.applied.length === 0 && outcome.notApplied.length === 0) io.stdout('reloaded: the configuration is unchanged\n');
  else if (outcome.applied.length > 0) io.stdout(`reloaded:\n${outcome.applied.map((line) => `  ${line}\n`).join('')}`);
  // As `junction check` words them; a router from before warnings were sent has none.
  for (const warning of outcome.warnings ?? []) io.stdout(`  warning: ${warning}\n`);
  if (outcome.notApplied.length === 0) return 0;
  io.stderr(`junction reload: not applied:\n${outcome.notApplied.map((line) => `  ${line}\n`).join('')}`);
  return 1;
}
