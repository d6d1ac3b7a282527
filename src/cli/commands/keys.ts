import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nodeKeyFileName } from '../../config/normalize-rlinks.js';
import { makeOneFolder } from '../../node/one-folder.js';
import { loadNodeKey } from '../../node/rlink/node-key.js';
import { StartupError } from '../../node/startup-errors.js';
import { readArguments, refuseArguments } from '../command-line.js';
import { crossbarGlobalOptionsNote } from '../crossbar-spellings.js';
import type { CommandIo } from '../io.js';
import { defaultControlCbdir, givenCbdir, nodeFolderOf } from '../node-folder.js';

export const usage = `Usage: junction keys [--cbdir DIR]

Prints the public part of the node key, DIR/${nodeKeyFileName} (Crossbar's node key file), which router links
sign in with; makes the key first when there is none, and DIR when it does not exist (its parent
must), as "crossbar keys" does. Without --cbdir DIR is $CROSSBAR_DIR when that is set (as
Crossbar), else .crossbar when that folder exists, else .junction. Crossbar's --private is refused: the private key is never printed (it stays in DIR/${nodeKeyFileName}, readable by its owner only).
${crossbarGlobalOptionsNote}`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = readArguments(io, 'keys', usage, {
    args: argv,
    options: { cbdir: { type: 'string' }, private: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  const { private: wantsPrivate } = parsed.values;
  const given = givenCbdir(parsed.values.cbdir);
  const cbdir = given === undefined ? defaultControlCbdir() : nodeFolderOf(given);
  if (wantsPrivate) return refuseArguments(io, 'keys', `--private is refused: Junction never prints a private key; it is in ${join(cbdir, nodeKeyFileName)}`, usage);
  if (cbdir.trim() === '') return refuseArguments(io, 'keys', '--cbdir must not be empty', usage);
  // As Crossbar: a node folder that does not exist is made (one level: its parent must exist).
  if (!existsSync(cbdir)) {
    const problem = makeOneFolder(cbdir);
    if (problem !== undefined) {
      io.stderr(`junction keys: cannot create the node directory ${cbdir}: ${problem}\n`);
      return 1;
    }
    io.stdout(`made the node directory ${cbdir}\n`);
  }
  const file = join(cbdir, nodeKeyFileName);
  try {
    const { key, made } = loadNodeKey(file);
    if (made) io.stdout(`made the node key ${file} (and ${join(cbdir, 'key.pub')})\n`);
    io.stdout(`node public key (hex): ${key.publicKey}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    io.stderr(`junction keys: ${error.message}\n`);
    return 1;
  }
}
