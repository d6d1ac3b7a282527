/**
 * A container worker's (or a router worker's: router-python.ts) Python components, run as a guest: Junction's launcher
 * (python/junction_container.py, shipped with the package) started by the container's Python,
 * the components handed to it as JSON on stdin. Which Python: the container's `options.python`;
 * else Debian's /usr/bin/python3 (where python3-autobahn installs), else python3 on the PATH.
 * A Python that cannot be found, or that lacks Autobahn|Python, is not an error: the node runs
 * without these components, and a warning says exactly why.
 */

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GuestConfig, PythonContainerConfig } from '../../config/model.js';
import { StartupError } from '../startup-errors.js';
import { guestExecutable } from './guest-launch.js';

/** The launcher, from dist/src/node/workers/ (or src/node/workers/) up to the package root. */
export const containerLauncher = fileURLToPath(new URL('../../../../python/junction_container.py', import.meta.url));

/** How long the check that Autobahn|Python imports may take (a cold start on a loaded machine). */
const probeTimeoutMs = 30_000;

export type PythonLaunch = { ok: true; executable: string; arguments: string[]; stdinText: string } | { ok: false; reason: string };

export async function pythonLaunch(guest: GuestConfig, python: PythonContainerConfig): Promise<PythonLaunch> {
  const help = python.router === true ? { ...containerPythonHelp, option: routerPythonOption } : containerPythonHelp;
  const interpreter = await findPython(guest, python.interpreterGiven, help);
  if (typeof interpreter !== 'string') return interpreter;
  const probe = await pythonProbe(interpreter, 'import autobahn');
  if (probe !== undefined) {
    return { ok: false, reason: `${interpreter} cannot import Autobahn|Python (${probe}); install it for that Python (Debian: apt install python3-autobahn) or set ${help.option}` };
  }
  const input = { pythonpath: python.pythonpath, components: python.components };
  return { ok: true, executable: interpreter, arguments: [containerLauncher], stdinText: JSON.stringify(input) };
}

/** What a user does when a Python process cannot start: what to install, and which key chooses another Python. */
export interface PythonHelp {
  install: string;
  option: string;
}

/** The key that chooses the Python of a router worker's paths. */
export const routerPythonOption = "the router worker's options.python";


const containerPythonHelp: PythonHelp = { install: 'python3 and python3-autobahn', option: "the container's options.python" };

/**
 * The absolute path of `guest.executable`, looked up as a guest's program; when it was not given
 * (the default /usr/bin/python3), python3 on the PATH is tried next. Else why not.
 */
export async function findPython(guest: GuestConfig, interpreterGiven: boolean, help: PythonHelp): Promise<string | { ok: false; reason: string }> {
  const candidates = interpreterGiven ? [guest.executable] : [guest.executable, 'python3'];
  for (const executable of candidates) {
    try {
      return await guestExecutable({ ...guest, executable });
    } catch (error) {
      if (!(error instanceof StartupError)) throw error;
    }
  }
  return {
    ok: false,
    reason: interpreterGiven
      ? `${guest.at}.options.python: "${guest.executable}" is not found or not executable (against ${guest.workdir}, then on the PATH)`
      : `no Python found: neither ${guest.executable} nor python3 on the PATH; install ${help.install}, or set ${help.option}`,
  };
}

/** Undefined when `python -c statement` ran and exited 0; else the last line it wrote on stderr, or why it did not run. */
export function pythonProbe(executable: string, statement: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(executable, ['-c', statement], { timeout: probeTimeoutMs, encoding: 'utf8' }, (error, _stdout, stderr) => {
      if (error === null) return resolve(undefined);
      const lastLine = stderr.trim().split('\n').at(-1);
      resolve(lastLine !== undefined && lastLine !== '' ? lastLine : error.message);
    });
  });
}
