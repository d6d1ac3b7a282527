/**
 * The Debian packages some suites need. The list is .ci/run's: each `need_deb PACKAGE FILE` line
 * names a package and the file that shows it is installed, so CI and the suites agree on one list.
 *
 * A suite asks `skipWithoutDebian('php-cli')` for its `skip` option: false when the package is
 * there, else the reason (which the summary reporter lists at the end of `npm test`). Under
 * CI=true a missing package throws instead, failing the suite: .ci/run installs every package,
 * so a skip there would hide a suite that never ran.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './cli.js';

export interface DebianNeed {
  package: string;
  /** A file the package installs; present means installed. */
  file: string;
}

/** Every `need_deb PACKAGE FILE` line of a .ci/run script, in order. */
export function parseNeedDeb(script: string): DebianNeed[] {
  return [...script.matchAll(/^need_deb (\S+) (\S+)\s*$/gm)].map((match) => ({ package: match[1]!, file: match[2]! }));
}

let needs: DebianNeed[] | undefined;

/** The packages .ci/run installs. */
export function debianNeeds(): DebianNeed[] {
  needs ??= parseNeedDeb(readFileSync(join(projectRoot, '.ci', 'run'), 'utf8'));
  return needs;
}

/** The need for `name`; throws if .ci/run does not install it (a suite must not need what CI lacks). */
export function debianNeed(name: string): DebianNeed {
  const need = debianNeeds().find((candidate) => candidate.package === name);
  if (!need) throw new Error(`.ci/run installs no Debian package "${name}"; add a need_deb line for it`);
  return need;
}

/**
 * For a test's or suite's `skip` option: false when `name` is installed, else why it is skipped.
 * Throws when it is missing and `env.CI` is "true".
 */
export function skipWithoutDebian(name: string, env: NodeJS.ProcessEnv = process.env, installed = existsSync): string | false {
  const need = debianNeed(name);
  if (installed(need.file)) return false;
  return skipUnlessCi(`Debian package ${need.package} is not installed (no ${need.file}; .ci/run installs it)`, env);
}

/** `reason`, for a `skip` option; but under CI=true, where nothing may be missing, throws it. */
export function skipUnlessCi(reason: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.CI === 'true') throw new Error(`CI=true and ${reason}: its tests would be skipped unseen`);
  return reason;
}
