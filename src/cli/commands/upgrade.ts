import { chmod, chown, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
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
and for Crossbar. The file is written anew: YAML comments and JSON layout are not kept; its
mode, owner and group are, and a link to it stays a link. A file
at version ${latestVersion} is left as it is. FILE and DIR are found as "junction check" finds them.
${crossbarGlobalOptionsNote}`;

/**
 * Replaces `file` with `text`: written beside it and renamed over it, so a failure leaves the file
 * as it was. The file a link names is the one replaced (the link stays), and it keeps its mode,
 * owner and group: a config with secrets kept 0600 stays so (the new text is 0600 until then).
 */
async function replaceFile(file: string, text: string): Promise<void> {
  const target = await realpath(file);
  const kept = await stat(target);
  const temporary = `${target}.upgrade-${process.pid}`;
  try {
    await writeFile(temporary, text, { flag: 'wx', mode: 0o600 });
    const made = await stat(temporary);
    if (made.uid !== kept.uid || made.gid !== kept.gid) await chown(temporary, kept.uid, kept.gid);
    await chmod(temporary, kept.mode & 0o7777); // after chown, which may clear set-id bits
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

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
  try {
    await replaceFile(file, format.text({ version: latestVersion, ...rest }));
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    const why = err.syscall === 'chown' ? `cannot keep its owner and group (${err.code}); it is left as it was` : (err.code ?? err.message);
    io.stderr(`junction upgrade: cannot write ${file}: ${why}\n`);
    return 1;
  }
  io.stdout(`${file}: upgraded from version 1 to version ${latestVersion}\n`);
  return 0;
}
