import { basename, delimiter, dirname, relative, sep } from 'node:path';
import { crossbarCommandNames } from '../node/pid-file.js';

/** What tells how the user ran this process: its script (process.argv[1]), working folder and PATH. */
export interface Invocation {
  script: string | undefined;
  cwd: string;
  path: string | undefined;
}

export const processInvocation = (): Invocation => ({ script: process.argv[1], cwd: process.cwd(), path: process.env.PATH });

/**
 * The words that run `junction` again the way the user just ran it, for a hint such as init's
 * "check it: ... check --cbdir DIR" (the ways README.md and docs/configuration.md name):
 * - a link named `crossbar` or `crossbarfx` (docs/configuration.md: Crossbar's command lines):
 *   that name, as the user's scripts run it, or its path when it is not on PATH;
 * - the package's bin link in a project's node_modules/.bin (`npx junction`, `npm exec`, a
 *   script of `npm run`): `npx junction`, which finds that link from the project's folder;
 * - a bin link in a folder on PATH (a global install): `junction`;
 * - the script itself (`node bin/junction.js` in a clone, also what `npm start` runs): `node`
 *   and its path from the working folder.
 */
export function commandAsInvoked({ script, cwd, path }: Invocation): string {
  if (script === undefined) return 'junction';
  const folder = dirname(script);
  const name = basename(script);
  if (name === 'junction' || crossbarCommandNames.includes(name)) {
    // The package has no `crossbar` bin: `npx crossbar` would fetch another package.
    if (name === 'junction' && folder.endsWith(`${sep}node_modules${sep}.bin`)) return 'npx junction';
    if ((path ?? '').split(delimiter).includes(folder)) return name;
    return shellWord(fromCwd(cwd, script));
  }
  return `node ${shellWord(fromCwd(cwd, script))}`;
}

/** `file` relative to `cwd` when it is inside it, so that the hint stays short; else as it is. */
function fromCwd(cwd: string, file: string): string {
  const inside = relative(cwd, file);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`)) return file;
  return inside.includes(sep) ? inside : `.${sep}${inside}`;
}

/** `word` as one word of a POSIX shell command line (quoted when it holds anything but plain path characters). */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * True when `npm start` runs this process (the README's way): npm keeps the options given before
 * "--" for itself, so a hint must show `npm start -- --port PORT`. Another npm script (`npm test`
 * starting routers) is not the user typing options.
 */
export const runByNpmStart = (env: NodeJS.ProcessEnv = process.env): boolean => env.npm_lifecycle_event === 'start';
