/**
 * What a guest is started with, decided as Crossbar decides it (controller.py,
 * `_start_guest_worker` and `create_process_env`): the program looked up against the working
 * directory, then on Junction's PATH; the environment inherited whole, in part or not at all,
 * then the configured variables, and PYTHONUNBUFFERED=1 unless the guest's environment sets it
 * (so a Python guest's output reaches the log line by line).
 */

import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, resolve } from 'node:path';
import type { GuestConfig } from '../../config/model.js';
import { guestErrors } from './guest-texts.js';

export function guestEnvironment(env: GuestConfig['env'], parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const names = env.inherit === true ? Object.keys(parent) : env.inherit === false ? [] : env.inherit;
  const result: Record<string, string> = {};
  for (const name of names) {
    const value = parent[name];
    if (value !== undefined) result[name] = value;
  }
  Object.assign(result, env.vars);
  if (!('PYTHONUNBUFFERED' in result)) result.PYTHONUNBUFFERED = '1';
  return result;
}

/** The absolute path of the guest's program, or a StartupError (guest_not_startable) naming the key to change. */
export async function guestExecutable(guest: GuestConfig, path: string = process.env.PATH ?? ''): Promise<string> {
  try {
    if (!(await stat(guest.workdir)).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw guestErrors.workdirUnusable(guest, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message);
  }
  const direct = resolve(guest.workdir, guest.executable);
  const found = await fileKind(direct);
  if (found === 'executable') return direct;
  if (found === 'file') throw guestErrors.notExecutable(guest, direct);
  // A bare name is looked up on the PATH (Crossbar's `which`); a path that is not there is not found.
  const isBareName = !guest.executable.includes('/');
  if (isBareName) {
    let readable: string | undefined;
    for (const folder of path.split(delimiter).filter((entry) => entry !== '')) {
      const candidate = resolve(folder, guest.executable);
      const kind = await fileKind(candidate);
      if (kind === 'executable') return candidate;
      if (kind === 'file') readable ??= candidate;
    }
    if (readable !== undefined) throw guestErrors.notExecutable(guest, readable);
  }
  throw guestErrors.notFound(guest, isBareName ? `in ${guest.workdir} nor on the PATH (${path})` : `(looked for ${direct})`);
}

async function fileKind(path: string): Promise<'executable' | 'file' | 'none'> {
  try {
    if (!(await stat(path)).isFile()) return 'none';
  } catch {
    return 'none';
  }
  try {
    await access(path, constants.X_OK);
    return 'executable';
  } catch {
    return 'file';
  }
}
