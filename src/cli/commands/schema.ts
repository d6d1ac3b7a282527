import { configJsonSchema } from '../../config/index.js';
import { readArguments } from '../command-line.js';
import type { CommandIo } from '../io.js';

export const usage = `Usage: junction schema

Prints the JSON Schema of the configuration file, for editors: save it (junction schema >
junction.schema.json) and point "$schema" (JSON) or "# yaml-language-server: $schema=" (YAML) at it.
`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = readArguments(io, 'schema', usage, { args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false });
  if (typeof parsed === 'number') return parsed;
  io.stdout(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}
