import { ConfigError, foldWorkerNotices, loadConfigFile } from '../../config/index.js';
import { nodeKeyProblems } from '../../node/rlink/node-key.js';
import { tlsFileReport } from '../../node/startup-errors.js';
import { guestProblems } from '../../node/workers/guest-workers.js';
import { pathFileWarnings } from '../../node/web/path-file-warnings.js';
import { readArguments } from '../command-line.js';
import { configFileOf, configProblemsReport } from '../config-source.js';
import { crossbarGlobalOptionsNote } from '../crossbar-spellings.js';
import type { CommandIo } from '../io.js';
import { plural } from '../../protocol/plural.js';

export const usage = `Usage: junction check [--config FILE] [--cbdir DIR]

Validates a configuration file (JSON or YAML, Crossbar.io format) and lists every problem with
its place in the file, then checks that the TLS key and certificate files it names can be read
and belong together; or prints a summary, any settings Junction ignores, what Node's TLS
warns about those files (weak DH parameters), static and CGI directories that do not exist
and archive files that are missing or cannot be read.
Without --cbdir, DIR is $CROSSBAR_DIR when that is set (as Crossbar).
Without options it checks the node folder .crossbar when that holds a config (as Crossbar), else
.junction (as written by "junction init"). With both --cbdir and --config, FILE is read inside
DIR (as Crossbar does); --config NAME alone reads ./NAME, or .crossbar/NAME when only that exists.

${crossbarGlobalOptionsNote}`;

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const parsed = readArguments(io, 'check', usage, {
    args: argv,
    options: { config: { type: 'string' }, cbdir: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;

  try {
    const file = await configFileOf(values);
    const config = await loadConfigFile(file);
    // The files the config names, as `junction start` reads them (same codes and messages).
    const tls = tlsFileReport(config.listeners, config.rlinks);
    const found = [...tls.problems, ...nodeKeyProblems(config.rlinks), ...(await guestProblems(config.guests))];
    if (found.length > 0) {
      io.stderr(`${file}: ${plural(found.length, 'problem')}\n${found.map((problem) => `${file}: ${problem.message} [${problem.code}]\n`).join('')}`);
      return 1;
    }
    const counts = [plural(config.realms.length, 'realm'), plural(config.listeners.length, 'transport')];
    // Python components are counted by their worker's process (a router's components, a container). A
    // function authenticator's host is Junction's own component, counted as the authenticator it is.
    const authenticators = config.components.filter((component) => component.kind === 'stdio' && component.authenticatorFunction !== undefined).length;
    const runnable = config.components.filter((component) => component.kind !== 'python').length - authenticators;
    if (runnable > 0) counts.push(plural(runnable, 'component'));
    const routerPython = config.routerPython.reduce((sum, worker) => sum + worker.components.length, 0);
    if (routerPython > 0) counts.push(plural(routerPython, 'Python router component'));
    if (authenticators > 0) counts.push(plural(authenticators, 'function authenticator'));
    const containers = config.guests.filter((guest) => guest.python !== undefined).length;
    if (config.guests.length > containers) counts.push(plural(config.guests.length - containers, 'guest worker'));
    if (containers > 0) counts.push(plural(containers, 'Python container'));
    io.stdout(`${file}: ok (${counts.join(', ')})\n`);
    for (const notice of foldWorkerNotices(config.notices)) io.stdout(`  notice: ${notice}\n`);
    for (const warning of [...tls.warnings, ...pathFileWarnings(config.listeners)]) io.stdout(`  warning: ${warning}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(configProblemsReport(error));
    return 1;
  }
}
