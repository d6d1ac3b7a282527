/**
 * The one loader: file or folder -> text -> document -> environment substitution -> schema and
 * cross-checks -> model. Every entry point ends in `parseConfig`, including the embedded default.
 */

import { access, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { upgradeVersion1 } from './crossbar-upgrade.js';
import { substituteEnv, type Environment } from './env.js';
import { configFileSchema } from './file-schema.js';
import type { JunctionConfig } from './model.js';
import { normalize } from './normalize.js';
import { ConfigError, problem, sortProblems, type ConfigProblem } from './problems.js';
import { formatPath } from './config-path.js';
import { validate } from './schema-problems.js';
import { crossCheck } from './semantics.js';
import { parseText, type Locator } from './source.js';

export interface ParseOptions {
  /** Names the input in messages: a file path, or something like "<embedded default>". */
  source: string;
  /** Variables for `${NAME}` references (default: process.env). */
  env?: Environment;
  /** Folder that relative TLS file paths are resolved against (default: left as written). */
  baseDir?: string;
  /** Positions of values in the source text, when there is one. */
  locate?: Locator;
}

export type TextOptions = Omit<ParseOptions, 'locate'>;
export type FileOptions = Pick<ParseOptions, 'env'>;

/** Validates a parsed document (Crossbar format) and returns the model, or throws ConfigError with every problem. */
export function parseConfig(value: unknown, options: ParseOptions): JunctionConfig {
  if (value === null || value === undefined) {
    throw new ConfigError(options.source, [problem('config.file.empty', [])]);
  }
  const substituted = substituteEnv(value, options.env ?? process.env);
  const upgraded = upgradeVersion1(substituted.value);
  const validated = validate(configFileSchema, upgraded.document);
  // A value whose ${NAME} could not be resolved fails the schema too; its env problem says why.
  const envPaths = new Set(substituted.problems.map((problem) => formatPath(problem.path)));
  const problems = [
    ...substituted.problems,
    ...(validated.ok ? [] : validated.problems.filter((problem) => !envPaths.has(formatPath(problem.path)))),
    ...crossCheck(upgraded.document),
  ];
  if (problems.length > 0 || !validated.ok) {
    throw new ConfigError(options.source, sortProblems(problems.map((problem) => located(problem, options.locate))));
  }
  return normalize(validated.value, { notices: upgraded.notices, ...(options.baseDir === undefined ? {} : { baseDir: options.baseDir }) });
}

/**
 * JSON or YAML text (YAML is a superset of JSON, so one parser gives positions for both); a
 * source named `*.json` must be JSON.
 */
export function parseConfigText(text: string, options: TextOptions): JunctionConfig {
  const parsed = parseText(text, /\.json$/i.test(options.source) ? 'json' : 'yaml');
  if (!parsed.ok) throw new ConfigError(options.source, parsed.problems);
  return parseConfig(parsed.value, { ...options, locate: parsed.locate });
}

/** A config file; relative TLS paths in it are resolved against its folder (as Crossbar's cbdir). */
export async function loadConfigFile(path: string, options: FileOptions = {}): Promise<JunctionConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [problem('config.file.unreadable', [], readFailure(error as NodeJS.ErrnoException))]);
  }
  return parseConfigText(text, { ...options, source: path, baseDir: dirname(resolve(path)) });
}

/** Why a config file could not be read, in words (the error code stays for searching). */
function readFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT': return 'no such file (ENOENT)';
    case 'EACCES': return 'permission denied (EACCES)';
    case 'EISDIR': return 'it is a directory, not a file (EISDIR); use --cbdir for a Crossbar node directory';
    default: return error.code ?? error.message;
  }
}

export const cbdirConfigNames = ['config.json', 'config.yaml'] as const;

/** A Crossbar node directory: DIR/config.json or DIR/config.yaml (exactly one of them). */
export async function loadCbdir(dir: string, options: FileOptions = {}): Promise<JunctionConfig> {
  return loadConfigFile(await findCbdirConfig(dir), options);
}

export async function findCbdirConfig(dir: string): Promise<string> {
  const kind = await stat(dir).then((found) => (found.isDirectory() ? 'folder' : 'other'), () => 'absent');
  if (kind !== 'folder') throw new ConfigError(dir, [problem(kind === 'absent' ? 'config.cbdir.missing' : 'config.cbdir.not_folder', [])]);
  const candidates = cbdirConfigNames.map((name) => join(dir, name));
  const present: string[] = [];
  for (const candidate of candidates) {
    if (await exists(candidate)) present.push(candidate);
  }
  if (present.length === 1) return present[0]!;
  throw new ConfigError(dir, [problem(present.length === 0 ? 'config.cbdir.no_file' : 'config.cbdir.two_files', [], cbdirConfigNames)]);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function located(problem: ConfigProblem, locate: Locator | undefined): ConfigProblem {
  const position = locate?.(problem.path, problem.at ?? 'value');
  return position === undefined ? problem : { ...problem, ...position };
}
