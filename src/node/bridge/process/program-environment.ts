import { access, constants, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * A program's environment: PATH, HOME and LANG (the router's values, or plain defaults), then the
 * configured variables. Nothing else of the router's environment (its secrets) reaches programs.
 */
export function programEnvironment(configured: Record<string, string>, router: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    PATH: router.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: router.HOME ?? '/',
    LANG: router.LANG ?? 'C.UTF-8',
    ...configured,
  };
}

/**
 * Checks at start-up that the working directory exists and that the executable can be run
 * (a path, against cwd, or a name looked up on the program's PATH); throws with what is wrong.
 */
export async function checkProgram(command: readonly string[], cwd: string, env: Record<string, string>): Promise<void> {
  const executable = command[0];
  if (executable === undefined || executable === '') throw new Error('command is empty: give the program and its fixed arguments, e.g. ["/usr/bin/python3", "script.py"]');
  try {
    if (!(await stat(cwd)).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new Error(`working directory "${cwd}" is not usable: ${(error as Error).message}`);
  }
  if (executable.includes('/')) {
    const path = isAbsolute(executable) ? executable : resolve(cwd, executable);
    if (!(await isExecutableFile(path))) throw new Error(`program "${path}" does not exist or is not executable`);
    return;
  }
  const folders = (env.PATH ?? '').split(delimiter).filter((folder) => folder !== '');
  for (const folder of folders) {
    if (await isExecutableFile(join(resolve(cwd, folder), executable))) return;
  }
  throw new Error(`program "${executable}" is not found on the program's PATH (${env.PATH ?? ''})`);
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
