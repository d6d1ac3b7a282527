import { parseArgs } from 'node:util';
import { configJsonSchema } from '../../config/index.js';
import type { CommandIo } from '../io.js';

export const usage = `Usage: junction schema

Prints the JSON Schema of the configuration file, for editors: save it (junction schema >
junction.schema.json) and point "$schema" (JSON) or "# yaml-language-server: $schema=" (YAML) at it.
`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    io.stderr(`junction schema: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    io.stdout(usage);
    return 0;
  }
  io.stdout(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}
