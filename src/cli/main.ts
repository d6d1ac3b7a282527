import { closestName } from '../config/schema-problems.js';
import { crossbarOnlyCommands, withoutGlobalOptions, withoutPersonalityCommand } from './crossbar-spellings.js';
import { processIo, type CommandIo } from './io.js';

type Command = (argv: string[], io: CommandIo) => Promise<number>;

/** Each command lives in its own module, loaded only when used. */
const commands: Record<string, { summary: string; load: () => Promise<{ run: Command }> }> = {
  start: { summary: 'run the router', load: () => import('./commands/start.js') },
  stop: { summary: 'stop a running node (--cbdir or --pid-file)', load: () => import('./commands/stop.js') },
  status: { summary: 'say whether a node is running (--assert running|stopped)', load: () => import('./commands/status.js') },
  reload: { summary: 'make a running router apply its changed config', load: () => import('./commands/reload.js') },
  check: { summary: 'validate a config file and list every problem', load: () => import('./commands/check.js') },
  init: { summary: 'write a starter config file', load: () => import('./commands/init.js') },
  convert: { summary: 'write a JSON config as YAML or a YAML one as JSON (as crossbar convert)', load: () => import('./commands/convert.js') },
  upgrade: { summary: 'rewrite a version 1 config file as version 2 (as crossbar upgrade)', load: () => import('./commands/upgrade.js') },
  keys: { summary: "print the node key's public part (router links sign in with it)", load: () => import('./commands/keys.js') },
  schema: { summary: 'print the config JSON Schema (for editors)', load: () => import('./commands/schema.js') },
  'scram-principal': { summary: 'make a WAMP-SCRAM principal from a password (read on stdin)', load: () => import('./commands/scram-principal.js') },
  version: { summary: 'print the version', load: () => import('./commands/version.js') },
};

/** The command names, in the order `junction --help` lists them. */
export const commandNames = Object.keys(commands);

function help(): string {
  const width = Math.max(...commandNames.map((name) => name.length));
  const lines = Object.entries(commands).map(([name, { summary }]) => `  ${name.padEnd(width)} ${summary}`);
  return `Usage: junction <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "junction <command> --help" for a command's options.\nCrossbar's command lines (crossbar start --personality=community --loglevel=info ...) are taken as they are.\n`;
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  // Crossbar's spellings of the same command line (crossbar-spellings.ts).
  const words = withoutGlobalOptions(argv);
  const named = typeof words === 'string' ? words : withoutPersonalityCommand(words);
  if (typeof named === 'string') {
    io.stderr(`junction: ${named}\n`);
    return 2;
  }
  const [name, ...rest] = named;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') return (await commands.version!.load()).run([], io);
  // Own keys only: "constructor" or "toString" are no command.
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  const crossbarOnly = Object.hasOwn(crossbarOnlyCommands, name) ? crossbarOnlyCommands[name] : undefined;
  if (!command && crossbarOnly !== undefined) {
    io.stderr(`junction: Crossbar's command "${name}" is not Junction's: ${crossbarOnly}\n`);
    return 2;
  }
  if (!command) {
    const suggestion = closestName(name, commandNames);
    io.stderr(`junction: unknown command "${name}"${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}\n\n${help()}`);
    return 2;
  }
  return (await command.load()).run(rest, io);
}
