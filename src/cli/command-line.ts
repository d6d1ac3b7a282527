import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CommandIo } from './io.js';

/** How every command refuses its arguments: the problem, then the command's usage, on stderr; exit code 2. */
export function refuseArguments(io: CommandIo, command: string, problem: string, usage: string): number {
  io.stderr(`junction ${command}: ${problem}\n\n${usage}`);
  return 2;
}

/**
 * A command's arguments, parsed by node's parseArgs with `config` (which declares -h/--help).
 * Returns them, or the exit code when the command ends here: 0 once --help printed the usage,
 * 2 once a bad argument was refused.
 */
export function readArguments<T extends ParseArgsConfig>(io: CommandIo, command: string, usage: string, config: T): ReturnType<typeof parseArgs<T>> | number {
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    return refuseArguments(io, command, (error as Error).message, usage);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout(usage);
    return 0;
  }
  return parsed;
}
