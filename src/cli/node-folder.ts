import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { cbdirConfigNames } from '../config/index.js';
import { pidFileOwner, removePidFile, writePidFile, type PidFileHeld, type PidFileOwner, type ProcessRunning } from '../node/pid-file.js';
import type { Logger } from '../router/log.js';
import { refuseArguments } from './command-line.js';
import { commandAsInvoked, processInvocation, shellWord } from './invocation.js';
import type { CommandIo } from './io.js';

/**
 * One node per node folder (--cbdir), as Crossbar: `junction start` keeps DIR/node.pid while it
 * runs, refuses to start while another Junction holds it, and `junction stop` and `junction
 * status` find the node through it.
 */

/** Crossbar's default node folder: `crossbar start` in a project folder runs ./.crossbar. */
export const crossbarCbdir = '.crossbar';

/** Crossbar's environment variable for the node folder: read when --cbdir is not given. */
export const cbdirVariable = 'CROSSBAR_DIR';

/**
 * The node folder given: --cbdir, else $CROSSBAR_DIR, else none (each command's default), as
 * Crossbar (node/main.py). The variable counts once it is set: set empty, it names the working
 * folder, as Crossbar's abspath("") does.
 */
export function givenCbdir(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (option !== undefined) return option;
  const variable = env[cbdirVariable];
  return variable === '' ? '.' : variable;
}

/** Where `junction init` writes and `junction check` looks without options. */
export const junctionCbdir = '.junction';

/**
 * The exit code of `stop` when no node runs, and of `status` when `--assert` fails: sysexits.h's
 * EX_UNAVAILABLE, as Crossbar's (scripts test for it).
 */
export const nodeUnavailableExitCode = 69;

export function nodePidFile(cbdir: string): string {
  return join(resolve(cbdir), 'node.pid');
}

/** node.pid's content, as Crossbar's: JSON with the process id and the command line that started it. */
export function nodePidFileContent(): string {
  return `${JSON.stringify({ pid: process.pid, argv: process.argv }, null, 4)}\n`;
}

/**
 * The node folder of --cbdir: a --cbdir that names a file means that file's folder, as Crossbar's
 * (crossbar-examples' Makefile: `find . -name config.json -exec crossbar check --cbdir={} \;`).
 */
export function nodeFolderOf(cbdir: string): string {
  return statSync(cbdir, { throwIfNoEntry: false })?.isFile() ? dirname(cbdir) : cbdir;
}

/** The node folder `junction start` without --config or --cbdir runs: ./.crossbar when it holds a config, as Crossbar. */
export function defaultStartCbdir(cwd = '.'): string | undefined {
  return cbdirConfigNames.some((name) => existsSync(join(cwd, crossbarCbdir, name))) ? crossbarCbdir : undefined;
}

/**
 * The node folder a `--config NAME` given without --cbdir is read in: Crossbar reads NAME inside
 * its default folder ./.crossbar (crossbar-examples' Makefiles run `crossbar start --config
 * config5.json` beside .crossbar/). Junction reads ./NAME when that exists, so its own users'
 * commands keep their meaning, and .crossbar/NAME only when ./NAME is not there.
 */
export function cbdirOfBareConfig(config: string, cwd = '.'): string | undefined {
  if (isAbsolute(config) || existsSync(resolve(cwd, config))) return undefined;
  return existsSync(join(cwd, crossbarCbdir, config)) ? crossbarCbdir : undefined;
}

/** The node folder `junction check` reads without options: ./.crossbar when it holds a config (as Crossbar), else junction init's. */
export function defaultCheckCbdir(cwd = '.'): string {
  return defaultStartCbdir(cwd) ?? junctionCbdir;
}

/** The node folder `stop` and `status` look at without options: ./.crossbar when it exists, else .junction (junction init's). */
export function defaultControlCbdir(cwd = '.'): string {
  return existsSync(join(cwd, crossbarCbdir)) ? crossbarCbdir : junctionCbdir;
}

/** A node as `stop` and `status` name it: its pid file, and the words that say where it runs. */
export interface NodeLocation {
  pidFile: string;
  /** "from node directory /srv/app/.crossbar", "with pid file /run/junction.pid" */
  where: string;
  /** None was named (--cbdir, $CROSSBAR_DIR, --pid-file) and the default folder does not exist: no node folder is in use here. */
  noFolder: boolean;
}

/** The node of --cbdir DIR or --pid-file FILE (one of them, or neither: $CROSSBAR_DIR or the default folder); a string says why not. */
export function locateNode(values: { cbdir?: string; 'pid-file'?: string }): NodeLocation | string {
  const { 'pid-file': pidFile } = values;
  if (values.cbdir !== undefined && pidFile !== undefined) return 'give --cbdir or --pid-file, not both';
  const cbdir = pidFile === undefined ? givenCbdir(values.cbdir) : undefined;
  if (cbdir?.trim() === '') return '--cbdir must not be empty';
  if (pidFile?.trim() === '') return '--pid-file must not be empty';
  if (pidFile !== undefined) return { pidFile: resolve(pidFile), where: `with pid file ${resolve(pidFile)}`, noFolder: false };
  const folder = resolve(cbdir === undefined ? defaultControlCbdir() : nodeFolderOf(cbdir));
  return { pidFile: nodePidFile(folder), where: `from node directory ${folder}`, noFolder: cbdir === undefined && !existsSync(folder) };
}

/**
 * What `stop` and `status` say when no node folder is in use here: a node started without one
 * (`npm start`, the embedded default, --config FILE) keeps no pid file, so they cannot find it;
 * how to stop it, and how to start it so that they can.
 */
export function noNodeFolderText(command: 'stop' | 'status'): string {
  const junction = commandAsInvoked(processInvocation());
  return `no node folder is in use here (neither ${crossbarCbdir} nor ${junctionCbdir} exists): a node started without one ` +
    `(npm start, or "${junction} start" with the embedded default or --config FILE) keeps no pid file, so it cannot be found. ` +
    'Stop such a node with Ctrl-C where it runs, or "kill PID" (the same clean stop); to find it, start it with ' +
    `--pid-file FILE ("npm start -- --pid-file FILE") and run "${junction} ${command} --pid-file FILE"`;
}

/** The node `stop` and `status` act on: where it is, what its pid file names, and its pid when a Junction runs there. */
export interface ControlledNode {
  node: NodeLocation;
  owner: PidFileOwner;
  runningPid: number | undefined;
}

/**
 * Finds the node of `stop`'s or `status`'s --cbdir / --pid-file and reads its pid file; or says
 * why not and returns the exit code (2 for the arguments, 1 for a pid file that cannot be read).
 */
export async function controlledNode(command: string, values: { cbdir?: string; 'pid-file'?: string }, io: CommandIo, usage: string): Promise<ControlledNode | number> {
  const node = locateNode(values);
  if (typeof node === 'string') return refuseArguments(io, command, node, usage);
  let owner: PidFileOwner;
  try {
    owner = await pidFileOwner(node.pidFile);
  } catch (error) {
    io.stderr(`junction ${command}: cannot read ${node.pidFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
    return 1;
  }
  return { node, owner, runningPid: owner.pid !== undefined && owner.runs === 'junction' ? owner.pid : undefined };
}

/** Why a pid file names no running node, after "no node is running ...". */
export function ownerNote(owner: PidFileOwner): string {
  return owner.pid === undefined || owner.runs === 'junction' ? '' : ` (its pid file names ${formerOwner(owner)})`;
}

/** "process 123, which has ended": a pid file's process that is no running Junction. */
function formerOwner(owner: { pid: number; runs: ProcessRunning }): string {
  return `process ${owner.pid}, which ${owner.runs === 'ended' ? 'has ended' : 'is not Junction'}`;
}

export interface HeldPidFiles {
  release(): Promise<void>;
}

/**
 * Writes the pid files of a `junction start` (the one process, or the --workers parent): node.pid
 * in its node folder (`cbdir`, resolved) and the --pid-file. Throws when either names a running
 * Junction (PidFileHeld), having written neither; the caller releases them once the node stopped.
 */
export async function holdPidFiles(files: { cbdir?: string; pidFile?: string }, log: Logger): Promise<HeldPidFiles> {
  const wanted: [string, string | undefined][] = [];
  if (files.cbdir !== undefined) wanted.push([nodePidFile(files.cbdir), nodePidFileContent()]);
  if (files.pidFile !== undefined) wanted.push([files.pidFile, undefined]);
  const held: string[] = [];
  const release = async (): Promise<void> => {
    for (const path of held) await removePidFile(path);
  };
  try {
    for (const [path, content] of wanted) {
      const replaced = await writePidFile(path, content);
      held.push(path);
      if (replaced !== undefined) log.info({ pidFile: path, pid: replaced.pid }, `took over the pid file of ${formerOwner(replaced)}`);
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { release };
}

/** Why `junction start` refuses to run while another node holds its pid file, and how to stop that one. */
export function pidFileRefusal(held: PidFileHeld, cbdir: string | undefined): string {
  const junction = commandAsInvoked(processInvocation());
  if (cbdir !== undefined && held.path === nodePidFile(cbdir)) {
    return `a node is already running from node directory ${resolve(cbdir)} (PID ${held.pid}); stop it first: ${junction} stop --cbdir ${shellWord(cbdir)}`;
  }
  return `${held.message}; stop it (${junction} stop --pid-file ${shellWord(held.path)}) or choose another --pid-file`;
}
