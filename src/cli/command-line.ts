import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from '../config/schema-problems.js';
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
    return refuseArguments(io, command, argumentProblem(error, config), usage);
  }
  if ((parsed.values as { help?: boolean }).help) {
    io.stdout(usage);
    return 0;
  }
  return parsed;
}

/**
 * parseArgs's refusal, with what the user most likely meant: a misspelt option ("--prot"), or a
 * file named without its option ("junction start config.json", as some other servers take it).
 */
export function argumentProblem(error: unknown, config: ParseArgsConfig): string {
  const { message, code } = error as NodeJS.ErrnoException;
  return message + argumentHint(message, code, Object.keys(config.options ?? {}));
}

function argumentHint(message: string, code: string | undefined, options: readonly string[]): string {
  const argument = /'([^']*)'/.exec(message)?.[1];
  if (argument === undefined) return '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const suggestion = closestName(argument.replace(/^-+/, ''), options);
    return suggestion === undefined ? '' : ` (did you mean --${suggestion}?)`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && options.includes('config')) {
    const file = /\.(json|ya?ml)$/i.test(argument) || !options.includes('cbdir');
    return file ? ` (did you mean --config ${argument}?)` : ` (a file: --config ${argument}; a node folder: --cbdir ${argument})`;
  }
  return '';
}
