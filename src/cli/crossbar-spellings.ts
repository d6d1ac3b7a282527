import { isAbsolute, join, resolve } from 'node:path';
import type { LogLevel } from '../node/logger.js';

/**
 * Crossbar's command-line spellings that Junction takes as they are, so that scripts,
 * Makefiles, Dockerfiles and systemd units written for `crossbar` run unchanged (facts from
 * Crossbar's node/main.py and _util.py, 18.x to 25.x). Each one either means the same here, or
 * changes nothing that Crossbar's changes (said in --help and docs/configuration.md), or is
 * refused with the reason.
 */

/** Crossbar's --loglevel names and the level each is here (Crossbar's "none" logs nothing). */
export const crossbarLogLevels: Readonly<Record<string, LogLevel>> = {
  // Quoted: test/project/errors-doc.test.ts reads an unquoted `error: '...'` as an HTTP error code.
  'none': 'silent', 'error': 'error', 'warn': 'warn', 'info': 'info', 'debug': 'debug', 'trace': 'trace',
};

const nodeOnly = 'Junction runs a router node only';

/** Crossbar's node personalities: undefined for those Junction runs as it is, else why not. */
const personalities: Readonly<Record<string, string | undefined>> = {
  standalone: undefined,
  community: undefined,
  edge: undefined,
  fabric: `"fabric" is Crossbar.io Fabric's managed node; ${nodeOnly}, not managed by a master node`,
  fabriccenter: `"fabriccenter" is Crossbar.io Fabric Center, the management master; ${nodeOnly}`,
  master: `"master" is CrossbarFX's management master; ${nodeOnly}`,
  network: `"network" is the XBR network backend; ${nodeOnly}`,
  xbrnetwork: `"xbrnetwork" is the XBR network backend; ${nodeOnly}`,
};

/** Why Junction cannot be node personality `name`, or undefined when it runs that node as it is. */
export function personalityProblem(name: string): string | undefined {
  // Own keys only: "toString" or "constructor" are no personality.
  if (!Object.hasOwn(personalities, name)) {
    const taken = Object.keys(personalities).filter((known) => personalities[known] === undefined);
    return `--personality must be ${taken.join(', ')} (the router node Junction runs), got "${name}"`;
  }
  const reason = personalities[name];
  return reason === undefined ? undefined : `the node personality "${name}" is refused: ${reason}`;
}

/**
 * Crossbar's newer CLI names the personality as its first word (`crossbar edge start`,
 * `crossbar standalone start`): argv without it, or why that personality is refused.
 */
export function withoutPersonalityCommand(argv: readonly string[]): readonly string[] | string {
  const [first, ...rest] = argv;
  if (first === undefined || !['standalone', 'edge', 'master', 'network'].includes(first)) return argv;
  return personalityProblem(first) ?? rest;
}

/** Crossbar's commands Junction has no counterpart for, and why. */
export const crossbarOnlyCommands: Readonly<Record<string, string>> = {
  keygen: "it makes key pairs for Autobahn's cryptobox (end-to-end payload encryption), which Junction does not have (junction keys shows the node key, for router links)",
  shell: `it is CrossbarFX's management shell, which talks to a master node; ${nodeOnly}`,
  quickstart: 'it makes a Crossbar application from its templates; junction init writes a starter node configuration',
  legal: 'Junction is MIT licensed: see the LICENSE file of its package',
  _exec_worker: "it is Crossbar's internal way of starting its worker processes",
};

/** What every command's --help says of the global options (withoutGlobalOptions). */
export const crossbarGlobalOptionsNote =
  "Crossbar's --personality standalone|community|edge, --debug-lifecycle and --debug-programflow are taken\nanywhere on the line and change nothing (Crossbar's edge and standalone commands likewise).\n";

/** Crossbar's options for every command, before or after the command's name: they change only its own debug output. */
const globalFlags = ['--debug-lifecycle', '--debug-programflow'];

/**
 * argv without Crossbar's global options, which may stand anywhere (Crossbar's parser takes
 * them before the command, older ones after it too): --personality NAME (checked) and the debug
 * flags. A string says why the arguments are refused.
 */
export function withoutGlobalOptions(argv: readonly string[]): string[] | string {
  const kept: string[] = [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (globalFlags.includes(argument)) continue;
    if (argument === '--personality' || argument.startsWith('--personality=')) {
      const value = argument === '--personality' ? argv[++index] : argument.slice('--personality='.length);
      if (value === undefined) return "option '--personality <value>' argument missing";
      const problem = personalityProblem(value);
      if (problem !== undefined) return problem;
      continue;
    }
    kept.push(argument);
  }
  return kept;
}

/** Crossbar's options of `crossbar start`, for node's parseArgs, beside Junction's own. */
export const crossbarStartOptions = {
  loglevel: { type: 'string' },
  logformat: { type: 'string' },
  color: { type: 'string' },
  logdir: { type: 'string' },
  logtofile: { type: 'boolean' },
  shutdownafter: { type: 'string' },
  vmprof: { type: 'boolean' },
} as const;

export interface CrossbarStartValues {
  loglevel?: string;
  logformat?: string;
  color?: string;
  logdir?: string;
  logtofile?: boolean;
  shutdownafter?: string;
  vmprof?: boolean;
}

/** What Crossbar's start options mean here. */
export interface CrossbarStart {
  logLevel?: LogLevel;
  /** --logtofile: the log goes to this file (node.log) instead of stdout. */
  logFile?: string;
  /** --shutdownafter: the node stops by itself this long after it started. */
  shutdownAfterMs?: number;
}

const choices = { logformat: ['syslogd', 'standard', 'none'], color: ['true', 'false', 'auto'] } as const;

/**
 * Crossbar's start options in `values`, read: `nodeFolder` is the node folder the log file goes
 * to without --logdir, and that a relative --logdir is read in (as Crossbar). A string says why
 * they are refused.
 */
export function readCrossbarStart(values: CrossbarStartValues, nodeFolder: string): CrossbarStart | string {
  if (values.vmprof) return '--vmprof is refused: it profiles Crossbar\'s Python processes; profile Junction with NODE_OPTIONS=--cpu-prof';
  for (const [option, allowed] of Object.entries(choices)) {
    const value = values[option as keyof typeof choices];
    if (value !== undefined && !(allowed as readonly string[]).includes(value)) return `--${option} must be one of ${allowed.join(', ')}, got "${value}"`;
  }
  const read: CrossbarStart = {};
  if (values.loglevel !== undefined) {
    read.logLevel = Object.hasOwn(crossbarLogLevels, values.loglevel) ? crossbarLogLevels[values.loglevel] : undefined;
    if (read.logLevel === undefined) return `--loglevel must be one of ${Object.keys(crossbarLogLevels).join(', ')} (Crossbar's names), got "${values.loglevel}"`;
  }
  if (values.logdir?.trim() === '') return '--logdir must not be empty';
  // As Crossbar: --logdir alone writes no file; the log goes to the file only with --logtofile.
  if (values.logtofile) {
    const folder = values.logdir === undefined ? nodeFolder : isAbsolute(values.logdir) ? values.logdir : join(nodeFolder, values.logdir);
    read.logFile = resolve(folder, 'node.log');
  }
  if (values.shutdownafter !== undefined) {
    if (!/^\d{1,9}$/.test(values.shutdownafter)) return `--shutdownafter must be a whole number of seconds, got "${values.shutdownafter}"`;
    // Crossbar's 0 is no shutdown, as if not given.
    const seconds = Number(values.shutdownafter);
    if (seconds > 0) read.shutdownAfterMs = seconds * 1000;
  }
  return read;
}
