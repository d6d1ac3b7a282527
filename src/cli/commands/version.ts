import { readArguments } from '../command-line.js';
import { crossbarGlobalOptionsNote } from '../crossbar-spellings.js';
import type { CommandIo } from '../io.js';
import { packageVersion } from '../../node/package-version.js';

export const usage = `Usage: junction version

Prints the version of Junction and of the Node.js running it (also: junction --version).

${crossbarGlobalOptionsNote}`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = readArguments(io, 'version', usage, { args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  if (typeof parsed === 'number') return parsed;
  io.stdout(`junction ${packageVersion()} (node ${process.version})\n`);
  return 0;
}
