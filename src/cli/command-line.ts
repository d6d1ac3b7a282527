import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from '../config/schema-problems.js';
import type { CommandIo } from './io.js';
import { runByNpmStart } from './invocation.js';

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
 * file or folder named without its option ("junction start config.json", as some other servers
 * take it; "junction stop .crossbar").
 */
export function argumentProblem(error: unknown, config: ParseArgsConfig, viaNpmStart = runByNpmStart()): string {
  const { message, code } = error as NodeJS.ErrnoException;
  return message + argumentHint(message, code, Object.keys(config.options ?? {}), viaNpmStart);
}

function argumentHint(message: string, code: string | undefined, options: readonly string[], viaNpmStart: boolean): string {
  const argument = /'([^']*)'/.exec(message)?.[1];
  if (argument === undefined) return '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const suggestion = closestName(argument.replace(/^-+/, ''), options);
    return suggestion === undefined ? '' : ` (did you mean --${suggestion}?)`;
  }
  // `npm start --port 8081` hands junction "8081" alone: npm took --port for itself.
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && /^\d+$/.test(argument) && options.includes('port')) {
    return viaNpmStart ? ` (npm keeps the options before "--" for itself: npm start -- --port ${argument})` : ` (did you mean --port ${argument}?)`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && options.includes('config')) {
    const file = /\.(json|ya?ml)$/i.test(argument) || !options.includes('cbdir');
    return file ? ` (did you mean --config ${argument}?)` : ` (a file: --config ${argument}; a node folder: --cbdir ${argument})`;
  }
  // `junction stop .crossbar`: stop and status take the node folder only as --cbdir.
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' && options.includes('cbdir')) return ` (did you mean --cbdir ${argument}?)`;
  return '';
}
