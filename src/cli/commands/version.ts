import type { CommandIo } from '../io.js';
import { packageVersion } from '../version.js';

export async function run(_argv: string[], io: CommandIo): Promise<number> {
  io.stdout(`junction ${packageVersion()} (node ${process.version})\n`);
  return 0;
}
