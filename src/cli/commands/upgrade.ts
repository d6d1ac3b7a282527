import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { upgradeVersion1 } from '../../config/crossbar-upgrade.js';
import { isRecord } from '../../config/semantics-realms.js';
import { rewrittenConfigFile } from '../config-formats.js';
import { crossbarGlobalOptionsNote } from '../crossbar-spellings.js';
import type { CommandIo } from '../io.js';

/** Crossbar's latest configuration format version. */
const latestVersion = 2;

export const usage = `Usage: junction upgrade [--config FILE] [--cbdir DIR]

Rewrites a configuration file of format version 1 (no "version", or "version": 1) as version
${latestVersion}, as "crossbar upgrade" does: each permission's actions go into "allow". Junction reads
version 1 files as they are (converted the same way when read), so this is for the file's readers
and for Crossbar. The file is written anew: YAML comments and JSON layout are not kept. A file
at version ${latestVersion} is left as it is. FILE and DIR are found as "junction check" finds them.
${crossbarGlobalOptionsNote}`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const read = await rewrittenConfigFile('upgrade', usage, argv, io);
  if (typeof read === 'number') return read;
  const { file, format } = read;
  const document = format.parse(await readFile(file, 'utf8'));
  if (!isRecord(document)) return 1; // loadCheckedFile refused a file that is not a mapping
  if (document.version === latestVersion) {
    io.stdout(`${file}: already at the latest version ${latestVersion}; nothing to upgrade\n`);
    return 0;
  }
  const { version: _old, ...rest } = upgradeVersion1(document).document as Record<string, unknown>;
  // Written beside it and renamed over it: a failure leaves the file as it was.
  const temporary = `${file}.upgrade-${process.pid}`;
  try {
    await writeFile(temporary, format.text({ version: latestVersion, ...rest }), { flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    io.stderr(`junction upgrade: cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 1;
  }
  io.stdout(`${file}: upgraded from version 1 to version ${latestVersion}\n`);
  return 0;
}
