import { extname } from 'node:path';
import { parse as parseYaml, stringify as yamlText } from 'yaml';
import { readArguments, refuseArguments } from './command-line.js';
import { loadCheckedFile } from './config-source.js';
import type { CommandIo } from './io.js';

/** A config file's format, by its name's extension, as `convert` and `upgrade` read and write it (Crossbar's two). */
export interface ConfigFormat {
  extension: '.json' | '.yaml';
  parse(text: string): unknown;
  text(document: unknown): string;
}

const json: ConfigFormat = { extension: '.json', parse: (text) => JSON.parse(text), text: (document) => `${JSON.stringify(document, null, 4)}\n` };
const yaml: ConfigFormat = { extension: '.yaml', parse: (text) => parseYaml(text), text: (document) => yamlText(document) };

/** The format of `file`, or undefined when its name says neither. */
function configFormatOf(file: string): ConfigFormat | undefined {
  const extension = extname(file).toLowerCase();
  return extension === '.json' ? json : extension === '.yaml' || extension === '.yml' ? yaml : undefined;
}

/** The other format: what `convert` writes. */
export function otherConfigFormat(format: ConfigFormat): ConfigFormat {
  return format === json ? yaml : json;
}

/**
 * The arguments of a command that rewrites a config file (`convert`, `upgrade`): --config and
 * --cbdir, found as `check` finds them, the file loaded without problems (else they are said, exit
 * 1), its name saying its format (else exit 2). Returns the file and its format, or the exit code.
 */
export async function rewrittenConfigFile(command: string, usage: string, argv: string[], io: CommandIo): Promise<{ file: string; format: ConfigFormat } | number> {
  const parsed = readArguments(io, command, usage, {
    args: argv,
    options: { config: { type: 'string' }, cbdir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  // As Crossbar: a configuration with problems is neither converted nor upgraded.
  const file = await loadCheckedFile(parsed.values, io);
  if (file === undefined) return 1;
  const format = configFormatOf(file);
  if (format === undefined) return refuseArguments(io, command, `${file}: the file name must end in .json, .yaml or .yml, which says its format`, usage);
  return { file, format };
}
