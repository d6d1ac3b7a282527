import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { otherConfigFormat, rewrittenConfigFile } from '../config-formats.js';
import { crossbarGlobalOptionsNote } from '../crossbar-spellings.js';
import type { CommandIo } from '../io.js';

export const usage = `Usage: junction convert [--config FILE] [--cbdir DIR]

Writes a JSON configuration file as YAML beside it (config.json: config.yaml), or a YAML one as
JSON, as "crossbar convert" does; FILE and DIR are found as "junction check" finds them. A
file with problems is not converted (they are listed), and an existing file is never
overwritten; the new file is no more readable than FILE (a config with secrets kept 0600 gives
a 0600 file). YAML comments are not carried into JSON. A node folder holds one config: remove
the other before "junction start --cbdir DIR".
${crossbarGlobalOptionsNote}`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const read = await rewrittenConfigFile('convert', usage, argv, io);
  if (typeof read === 'number') return read;
  const { file, format } = read;
  const other = otherConfigFormat(format);
  const target = join(dirname(file), `${basename(file, extname(file))}${other.extension}`);
  try {
    const { mode } = await stat(file);
    await writeFile(target, other.text(format.parse(await readFile(file, 'utf8'))), { flag: 'wx', mode: mode & 0o777 });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    io.stderr(`junction convert: cannot write ${target}: ${err.code === 'EEXIST' ? 'it already exists; not overwriting it' : (err.code ?? err.message)}\n`);
    return 1;
  }
  io.stdout(`wrote ${target} from ${file}\n`);
  return 0;
}
