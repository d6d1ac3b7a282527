import { resolve } from 'node:path';
import { embeddedDefaultConfig, loadCbdir, loadConfigFile } from '../config/index.js';
import { ConfigError } from '../config/problems.js';
import type { LoadedConfig } from '../node/reload/reloader.js';

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
