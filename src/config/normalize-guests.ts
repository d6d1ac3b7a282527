/**
 * Guest workers as Junction runs them: Crossbar's defaults applied and its paths resolved as
 * Crossbar resolves them (src/crossbar/node/controller.py, `_start_guest_worker`): `workdir`
 * against the config folder (Crossbar's cbdir), watched folders against the config folder too.
 * The executable is resolved when the guest starts: the files may change in between.
 */

import { resolve } from 'node:path';
import type { ConfigFile } from './file-schema.js';
import type { GuestConfig, RouterPythonComponent, RouterPythonConfig, WorkerPython } from './model.js';
import { notice } from './notices.js';
import { formatPath, type ConfigPath } from './config-path.js';
import { guestOutputDefaults, type GuestWorkerFile } from './schema-guest.js';
import type { WorkerFile } from './file-schema.js';

type ContainerWorkerFile = Extract<WorkerFile, { type: 'container' }>;
type RouterWorkerFile = Extract<WorkerFile, { type: 'router' }>;

/** A worker's Python settings, as the notice names them when no Python process is started (`owner`: "a container without Python classes"). */
const pythonSettings = {
  python: 'the Python executable (python)',
  pythonpath: 'the Python module search path (pythonpath)',
  env: 'the process environment (env)',
} as const;

/** A worker's `options` keys that configure its Python process. */
export interface WorkerPythonFile {
  python?: string | undefined;
  pythonpath: string[];
  env: { inherit: boolean | string[]; vars: Record<string, string> };
}

/** One notice per Python setting `options` gives, for a worker that starts no Python process. */
export function unusedPythonNotices(options: WorkerPythonFile, path: ConfigPath, owner: string, notices: string[]): void {
  const given = { python: options.python !== undefined, pythonpath: options.pythonpath.length > 0, env: options.env.inherit !== true || Object.keys(options.env.vars).length > 0 };
  for (const [key, what] of Object.entries(pythonSettings) as [keyof typeof pythonSettings, string][]) {
    if (given[key]) notices.push(notice('config.notice.ignored', [...path, 'options', key], `${what} of ${owner}`));
  }
}

/** A worker's Python process settings, its folders resolved against the config folder. */
export function workerPython(options: WorkerPythonFile, at: ConfigPath, baseDir: string): WorkerPython {
  return {
    at: formatPath(at),
    executable: options.python ?? defaultPython,
    interpreterGiven: options.python !== undefined,
    pythonpath: options.pythonpath.map((folder) => resolve(baseDir, folder)),
    env: { inherit: options.env.inherit, vars: options.env.vars },
    workdir: resolve(baseDir),
  };
}

/** Where a worker's Python (a container's classes, a router's components and wsgi paths) runs when its options do not say (Debian's, which has python3-autobahn and python3-twisted; a pyenv first on the PATH may not). */
export const defaultPython = '/usr/bin/python3';

/** Each worker's id: Crossbar names a worker without one "worker001", "worker002"... in file order, every worker type counted. */
function workerIds(file: ConfigFile): string[] {
  let unnamed = 0;
  return file.workers.map((worker) => worker.id ?? `worker${String(++unnamed).padStart(3, '0')}`);
}

export function guestConfigs(file: ConfigFile, baseDir: string = process.cwd(), notices: string[] = []): GuestConfig[] {
  const ids = workerIds(file);
  return file.workers.flatMap((worker, index) => {
    const id = ids[index]!;
    const path: ConfigPath = ['workers', index];
    if (worker.type === 'guest') return [guestConfig(worker, id, formatPath(path), baseDir)];
    if (worker.type === 'container') return containerConfig(worker, id, path, baseDir, notices);
    return [];
  });
}

/**
 * The router workers' Python components, one process per router worker that has any (Crossbar runs
 * them in the router worker's process). As Crossbar gives them (crossbar/worker/router.py): the
 * role `anonymous` when none is given, and `extra.cbdir`, the node's folder (here the config folder).
 */
export function routerPythonConfigs(file: ConfigFile, baseDir: string = process.cwd()): RouterPythonConfig[] {
  const ids = workerIds(file);
  return file.workers.flatMap((worker, index) => {
    if (worker.type !== 'router') return [];
    const components = routerPythonComponents(worker, resolve(baseDir));
    if (components.length === 0) return [];
    const { guest, interpreterGiven, pythonpath } = pythonProcess(worker.options, ids[index]!, ['workers', index], baseDir);
    return [{ guest, interpreterGiven, pythonpath, components }];
  });
}

function routerPythonComponents(worker: RouterWorkerFile, cbdir: string): RouterPythonComponent[] {
  return worker.components.flatMap((component, index): RouterPythonComponent[] => {
    const common = { id: component.id ?? `component${index}`, realm: component.realm, role: component.role ?? 'anonymous' };
    if (component.type === 'function') {
      const callbacks = Object.fromEntries(Object.entries(component.callbacks).filter((entry): entry is [string, string] => entry[1] !== undefined));
      return [{ ...common, type: 'function', callbacks, extra: { ...component.extra, cbdir } }];
    }
    if (component.type !== 'class' || component.bridge !== undefined) return [];
    return [{ ...common, type: 'class', classname: component.classname, extra: { ...component.extra, cbdir } }];
  });
}

/**
 * A container worker whose Python classes Junction runs: one process, Junction's launcher run by
 * the container's interpreter (Crossbar runs each container as one Python process too). Its
 * environment is the container's `options.env`; it starts in the config folder.
 */
function containerConfig(worker: ContainerWorkerFile, id: string, path: ConfigPath, baseDir: string, notices: string[]): GuestConfig[] {
  const components = worker.components.flatMap((component, index) =>
    component.type === 'class' && component.bridge === undefined
      ? [{ id: component.id ?? `component${index}`, type: 'class' as const, classname: component.classname, realm: component.realm, extra: component.extra, transport: component.transport }]
      : []);
  const options = worker.options;
  if (components.length === 0) {
    // Only bridge classes (run in the router) or functions: no Python process, so its settings are not used.
    unusedPythonNotices(options, path, 'a container without Python classes', notices);
    return [];
  }
  const { guest, interpreterGiven, pythonpath } = pythonProcess(options, id, path, baseDir);
  return [{ ...guest, python: { interpreterGiven, pythonpath, components } }];
}

/** A worker's Python process as a guest: its output logged line by line, started in the config folder with the worker's `options.env`. */
function pythonProcess(options: WorkerPythonFile, id: string, path: ConfigPath, baseDir: string): Pick<RouterPythonConfig, 'guest' | 'interpreterGiven' | 'pythonpath'> {
  const python = workerPython(options, path, baseDir);
  return { guest: workerPythonGuest(id, python), interpreterGiven: python.interpreterGiven, pythonpath: python.pythonpath };
}

/** A worker's Python as a guest process (its output logged line by line, as a guest's). */
export function workerPythonGuest(id: string, python: WorkerPython): GuestConfig {
  return {
    id, at: python.at, executable: python.executable, arguments: [], workdir: python.workdir, env: python.env,
    stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: guestOutputDefaults.maxLineBytes, linesPerSecond: guestOutputDefaults.linesPerSecond,
  };
}

function guestConfig(guest: GuestWorkerFile, id: string, at: string, baseDir: string): GuestConfig {
  const options = guest.options;
  const stdin = options.stdin;
  return {
    id,
    at,
    executable: guest.executable,
    arguments: guest.arguments,
    workdir: resolve(baseDir, options.workdir ?? '.'),
    env: { inherit: options.env.inherit, vars: options.env.vars },
    stdin: stdin === undefined ? { kind: 'open' } : stdin === 'close' ? { kind: 'close' } : { kind: 'json', text: JSON.stringify(stdin.value), close: stdin.close },
    stdout: options.stdout,
    stderr: options.stderr,
    ...(options.watch && {
      watch: {
        directories: options.watch.directories.map((directory) => resolve(baseDir, directory)),
        restart: options.watch.action === 'restart',
        delayMs: Math.round(options.watch.timeout * 1000),
      },
    }),
    maxLineBytes: options.max_line_bytes,
    linesPerSecond: options.log_lines_per_second,
  };
}
