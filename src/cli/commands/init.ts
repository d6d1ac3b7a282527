import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cbdirConfigNames, starterConfigYaml } from '../../config/index.js';
import { readArguments, refuseArguments } from '../command-line.js';
import { commandAsInvoked, processInvocation, shellWord, type Invocation } from '../invocation.js';
import { crossbarGlobalOptionsNote } from '../crossbar-spellings.js';
import type { CommandIo } from '../io.js';
import { crossbarCbdir, junctionCbdir } from '../node-folder.js';

export const usage = `Usage: junction init [DIR | --appdir APPDIR]

Writes DIR/config.yaml (DIR defaults to .junction): a starter configuration with a comment on
each part. Never overwrites an existing configuration.
Crossbar's --appdir APPDIR writes APPDIR/.crossbar/config.yaml, the node folder "start" runs in APPDIR.

${crossbarGlobalOptionsNote}`;

export async function run(argv: string[], io: CommandIo, invocation: Invocation = processInvocation()): Promise<number> {
  const parsed = readArguments(io, 'init', usage, { args: argv, options: { appdir: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  if (typeof parsed === 'number') return parsed;
  const { appdir } = parsed.values;
  const given = parsed.positionals.length + (appdir === undefined ? 0 : 1);
  if (given > 1) return refuseArguments(io, 'init', `expected at most one folder (DIR or --appdir), got ${given}`, usage);
  if (appdir?.trim() === '') return refuseArguments(io, 'init', '--appdir must not be empty', usage);
  const dir = appdir !== undefined ? join(appdir, crossbarCbdir) : parsed.positionals[0] ?? junctionCbdir;
  const file = join(dir, 'config.yaml');

  // A config.json beside it would make "--cbdir DIR" ambiguous, so any existing config blocks init.
  for (const name of cbdirConfigNames) {
    const existing = join(dir, name);
    if (existsSync(existing)) {
      io.stderr(`junction init: ${existing} already exists; not overwriting it\n`);
      return 1;
    }
  }
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(file, starterConfigYaml, { flag: 'wx' }); // wx: never replace a file created meanwhile
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const reason = err.code === 'EEXIST' ? 'it already exists; not overwriting it' : (err.code ?? err.message);
    io.stderr(`junction init: cannot write ${file}: ${reason}\n`);
    return 1;
  }
  // The next commands as the user ran this one: `junction`, `npx junction` or `node bin/junction.js`.
  const junction = commandAsInvoked(invocation);
  io.stdout(`wrote ${file}\n  check it:  ${junction} check --cbdir ${shellWord(dir)}\n  run it:    ${junction} start --cbdir ${shellWord(dir)}\n`);
  return 0;
}
