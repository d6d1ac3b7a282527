import { resolve } from 'node:path';
import { embeddedDefaultConfig, findCbdirConfig, loadCbdir, loadConfigFile } from '../config/index.js';
import { ConfigError } from '../config/problems.js';
import type { LoadedConfig } from '../node/reload/reloader.js';
import { plural } from '../protocol/plural.js';
import type { CommandIo } from './io.js';
import { cbdirOfBareConfig, defaultCheckCbdir, givenCbdir, nodeFolderOf } from './node-folder.js';

export type StartConfigSource =
  | { kind: 'file'; path: string }
  | { kind: 'cbdir'; dir: string }
  | { kind: 'embedded' };

export type { LoadedConfig };

/**
 * The file `--config FILE` names when `--cbdir DIR` is given too: FILE inside the node
 * directory, as Crossbar reads them (crossbar-examples run `crossbar start --config config5.json`
 * in the folder that holds .crossbar/).
 */
export function configInCbdir(cbdir: string, config: string): string {
  return resolve(cbdir, config);
}

/**
 * The config file that `check` and `convert` read for --cbdir and --config, as Crossbar's: FILE
 * inside DIR, a bare NAME as start reads it, or the one config of the node folder (without
 * options: .crossbar when that holds one, else .junction). Throws ConfigError when the folder has none.
 */
export async function configFileOf(values: { cbdir?: string; config?: string }): Promise<string> {
  const given = givenCbdir(values.cbdir);
  const cbdir = given !== undefined ? nodeFolderOf(given) : values.config === undefined ? undefined : cbdirOfBareConfig(values.config);
  if (values.config !== undefined) return cbdir !== undefined ? configInCbdir(cbdir, values.config) : values.config;
  return findCbdirConfig(cbdir ?? defaultCheckCbdir());
}

/**
 * The config file of --cbdir and --config (configFileOf) once it loaded without problems; else
 * undefined, its problems said on stderr as `check` says them.
 */
export async function loadCheckedFile(values: { cbdir?: string; config?: string }, io: CommandIo): Promise<string | undefined> {
  try {
    const file = await configFileOf(values);
    await loadConfigFile(file);
    return file;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(configProblemsReport(error));
    return undefined;
  }
}

/** "FILE: N problems" and each problem, as `check` lists them. */
export function configProblemsReport(error: ConfigError): string {
  return `${error.source}: ${plural(error.problems.length, 'problem')}\n${error.message}\n`;
}

/** Loads the config `start` runs with; every problem of a bad file is reported, not just the first. */
export async function loadStartConfig(source: StartConfigSource): Promise<LoadedConfig> {
  try {
    switch (source.kind) {
      case 'file': return { ok: true, config: await loadConfigFile(source.path) };
      case 'cbdir': return { ok: true, config: await loadCbdir(source.dir) };
      case 'embedded': return { ok: true, config: embeddedDefaultConfig() };
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      const count = error.problems.length;
      return { ok: false, report: `junction: the configuration has ${count} problem${count === 1 ? '' : 's'}:\n${error.message}\n` };
    }
    throw error;
  }
}
