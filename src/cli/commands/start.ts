import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configInCbdir, loadStartConfig, type LoadedConfig, type StartConfigSource } from '../config-source.js';
import { embeddedDefaultDocument } from '../../config/defaults.js';
import { foldWorkerNotices } from '../../config/index.js';
import type { JunctionConfig } from '../../config/model.js';
import { takeHangups, type Hangups } from '../../node/hangups.js';
import { createLogger, logFileDestination, logLevels, type LogLevel } from '../../node/logger.js';
import { availableParallelism } from 'node:os';
import { portsFromParent } from '../../node/cluster/handoff-worker.js';
import { workerNodeId } from '../../node/cluster/ipc-messages.js';
import { configForWorker, workerRole, type WorkerRole } from '../../node/cluster/worker.js';
import type { ParentTasks } from '../../node/cluster/workers.js';
import { checkPortsFree, checkTlsFiles, listenFailure, StartupError, type EndpointSettings } from '../../node/startup-errors.js';
import { onDemand } from '../../node/on-demand.js';
import { guestMetricsFromParent } from '../../node/workers/guest-metrics.js';
import { triggeredStopExitCode } from '../../node/workers/node-shutdown.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { PidFileHeld } from '../../node/pid-file.js';
import { controlSocketPath, serveControlSocket, type ControlSocket } from '../../node/reload/control-socket.js';
import { reloader, type ReloadOutcome } from '../../node/reload/reloader.js';
import { pathFileWarnings } from '../../node/web/path-file-warnings.js';
import type { Logger } from '../../router/log.js';
import { argumentProblem, refuseArguments } from '../command-line.js';
import { fabricUrlWarning } from '../crossbar-environment.js';
import { crossbarGlobalOptionsNote, crossbarLogLevels, crossbarStartOptions, readCrossbarStart } from '../crossbar-spellings.js';
import type { CommandIo } from '../io.js';
import { runByNpmStart } from '../invocation.js';
import { cbdirOfBareConfig, cbdirVariable, defaultStartCbdir, givenCbdir, holdPidFiles, nodeFolderOf, pidFileRefusal } from '../node-folder.js';

/** Bytes the --workers parent may hold for one worker (--relay-buffer). */
const defaultRelayBufferBytes = 64 * 1024 * 1024;

/** Connections the --workers parent may hold while no worker has taken them (--handoff-queue). */
const defaultHandoffQueue = 1024;

/** The backplane: through Redis with a `cluster` section, through the parent in a worker of --workers. */
const clusterModule = onDemand('the cluster backplane', () => import('../../node/cluster/backplane-choice.js'));

/** What only the parent of --workers runs: the workers, the guests, the archives it fetches once for them. */
const workersParentModule = onDemand('the --workers parent', async () => ({
  ...await import('../../node/cluster/workers.js'),
  ...await import('../../node/cluster/worker-cookies.js'),
  ...await import('../../node/workers/parent-guests.js'),
  ...await import('../../node/workers/guest-workers.js'),
  ...await import('../../node/web/archive-fetch.js'),
}));

/** The embedded default's HTTP paths beside /ws, as its document has them. */
// The path "/" (the web transport's root, which leads to the console) is named as it is, not as "//".
const defaultHttpPaths = Object.keys(embeddedDefaultDocument.workers[0].transports[0].paths).filter((path) => path !== 'ws').map((path) => (path === '/' ? path : `/${path}`)).join(', ');

export const usage = `Usage: junction start [--config FILE] [--cbdir DIR] [--host HOST] [--port PORT] [--data-dir DIR] [--log-level LEVEL] [--pid-file FILE]
                      [--workers N|auto] [--relay-buffer BYTES] [--handoff-queue COUNT]

Runs the router. Without --cbdir, DIR is $CROSSBAR_DIR when that is set (as Crossbar).
With both --cbdir and --config, FILE is read inside DIR (as Crossbar does);
--config NAME alone reads ./NAME, or .crossbar/NAME when only that exists (Crossbar's folder).
Without --config or --cbdir it runs the node folder .crossbar when that holds a config (as
Crossbar does), else the embedded development default:
realm "realm1", anonymous sessions allowed every action, WebSocket at ws://127.0.0.1:8080/ws,
and ${defaultHttpPaths} on the same port.
--host and --port override the first transport's endpoint (refused when it is a Unix socket). LEVEL: ${logLevels.join(', ')}.
--data-dir is where durable state lives (the HTTP forwarder's outbox); default: a ".junction"
folder beside the config file (inside DIR with --cbdir; in the working directory otherwise).
A node folder holds DIR/node.pid while its node runs: a second start there is refused while
that node runs, and "junction stop" and "junction status" find it (a stale file is taken over).
--pid-file writes the process id to FILE and opens the control socket beside it (FILE with
".sock" for ".pid") that "junction reload --pid-file FILE" uses. SIGHUP reloads the config too.
With --workers the parent holds both files.
--workers runs N router processes (auto: one per core; default 1) that share the ports and act
as one router: see docs/cluster.md. SIGHUP to the parent reloads every worker.
--relay-buffer bounds what the parent holds for one worker that does not read its messages from
the others (default ${defaultRelayBufferBytes}, 64 MiB); past it that worker is killed and started again.
--handoff-queue bounds the connections the parent has accepted and no worker has taken yet
(default ${defaultHandoffQueue}); past it new connections are closed at once.

Crossbar's spellings are taken: --loglevel ${Object.keys(crossbarLogLevels).join('|')} (for --log-level;
none is silent); --logtofile writes the log to node.log in the node folder, or in --logdir DIR
(read inside the node folder unless absolute); --shutdownafter SECONDS stops the node then;
--color and --logformat are checked and change nothing (the log is JSON lines). --vmprof is refused.
${crossbarGlobalOptionsNote}`;

interface StartArgs {
  source: StartConfigSource;
  /** The node folder (--cbdir, $CROSSBAR_DIR, or ./.crossbar when it holds a config and --config is not given): its node.pid says this node runs. */
  cbdir?: string;
  /** The node folder is ./.crossbar, found there: the log says so. */
  cbdirByDefault: boolean;
  /** The node folder is $CROSSBAR_DIR's: the log says so. */
  cbdirByVariable: boolean;
  host?: string;
  port?: number;
  dataDir: string;
  logLevel: LogLevel;
  /** The log goes to this file, not stdout (Crossbar's --logtofile). */
  logFile?: string;
  /** The node stops by itself this long after it serves (Crossbar's --shutdownafter). */
  shutdownAfterMs?: number;
  pidFile?: string;
  workers: number;
  relayBufferBytes: number;
  handoffQueue: number;
}

function readArgs(argv: string[]): StartArgs | string {
  let values;
  const config = {
    args: argv,
    options: {
      config: { type: 'string' },
      cbdir: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'log-level': { type: 'string' },
      'data-dir': { type: 'string' },
      'pid-file': { type: 'string' },
      workers: { type: 'string' },
      'relay-buffer': { type: 'string' },
      'handoff-queue': { type: 'string' },
      ...crossbarStartOptions,
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  } as const;
  try {
    ({ values } = parseArgs(config));
  } catch (error) {
    return argumentProblem(error, config);
  }
  if (values.help) return 'help';
  if (values['log-level'] !== undefined && values.loglevel !== undefined) return 'give --log-level or Crossbar\'s --loglevel, not both';
  const level = values['log-level'] ?? 'info';
  if (!(logLevels as readonly string[]).includes(level)) return `--log-level must be one of ${logLevels.join(', ')}, got "${level}"`;
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) return `--port must be an integer from 0 to 65535, got "${values.port}"`;
  }
  if (values.host !== undefined && values.host.trim() === '') return '--host must not be empty';
  const given = givenCbdir(values.cbdir);
  const cbdir = given !== undefined ? nodeFolderOf(given) : values.config === undefined ? defaultStartCbdir() : cbdirOfBareConfig(values.config);
  const source: StartConfigSource =
    values.config !== undefined ? { kind: 'file', path: cbdir !== undefined ? configInCbdir(cbdir, values.config) : values.config }
    : cbdir !== undefined ? { kind: 'cbdir', dir: cbdir }
    : { kind: 'embedded' };
  if (values['data-dir'] !== undefined && values['data-dir'].trim() === '') return '--data-dir must not be empty';
  const dataDir = values['data-dir'] ?? defaultDataDir(source);
  const crossbar = readCrossbarStart(values, nodeFolder(source));
  if (typeof crossbar === 'string') return crossbar;
  if (values['pid-file'] !== undefined && values['pid-file'].trim() === '') return '--pid-file must not be empty';
  const pidFile = values['pid-file'] === undefined ? undefined : resolve(values['pid-file']);
  const workers = readWorkers(values.workers);
  if (typeof workers === 'string') return workers;
  const relayBuffer = values['relay-buffer'];
  if (relayBuffer !== undefined && !/^[1-9]\d{0,15}$/.test(relayBuffer)) return `--relay-buffer must be a positive number of bytes, got "${relayBuffer}"`;
  const relayBufferBytes = relayBuffer === undefined ? defaultRelayBufferBytes : Number(relayBuffer);
  const handoff = values['handoff-queue'];
  if (handoff !== undefined && !/^[1-9]\d{0,8}$/.test(handoff)) return `--handoff-queue must be a positive number of connections, got "${handoff}"`;
  const handoffQueue = handoff === undefined ? defaultHandoffQueue : Number(handoff);
  return { source, cbdir, cbdirByDefault: given === undefined && cbdir !== undefined, cbdirByVariable: values.cbdir === undefined && given !== undefined, host: values.host, port, dataDir, logLevel: crossbar.logLevel ?? level as LogLevel,
    logFile: crossbar.logFile, shutdownAfterMs: crossbar.shutdownAfterMs, pidFile, workers, relayBufferBytes, handoffQueue };
}

/** Beyond this many workers per machine something is surely mistyped. */
const maxWorkers = 256;

function readWorkers(value: string | undefined): number | string {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1 || count > maxWorkers) return `--workers must be "auto" or an integer from 1 to ${maxWorkers}, got "${value}"`;
  return count;
}

/** The folder of the node's configuration: its node folder, or the file's folder (the working folder for the embedded default). */
function nodeFolder(source: StartConfigSource): string {
  switch (source.kind) {
    case 'file': return dirname(resolve(source.path));
    case 'cbdir': return resolve(source.dir);
    case 'embedded': return resolve('.');
  }
}

/** Durable state lives beside the configuration it belongs to. */
function defaultDataDir(source: StartConfigSource): string {
  return join(nodeFolder(source), '.junction');
}

/** Applies --host and --port to the first transport; returns why not when it listens on a Unix socket. */
function applyOverrides(config: JunctionConfig, args: StartArgs): string | undefined {
  const first = config.listeners[0];
  if (!first) return undefined;
  const given = [args.host === undefined ? undefined : '--host', args.port === undefined ? undefined : '--port'].filter((option) => option !== undefined);
  if (given.length > 0 && first.endpoint.type === 'unix') {
    return `${given.join(' and ')} ${given.length > 1 ? 'override' : 'overrides'} the first transport's TCP endpoint, but transport "${first.id}" ` +
      `listens on the Unix socket ${first.endpoint.path}; put a TCP transport first, or set its endpoint in the file`;
  }
  if (args.host !== undefined) first.endpoint.interface = args.host;
  if (args.port !== undefined) first.endpoint.port = args.port;
  return undefined;
}

export async function run(argv: string[], io: CommandIo): Promise<number> {
  const args = readArgs(argv);
  if (args === 'help') {
    io.stdout(usage);
    return 0;
  }
  if (typeof args === 'string') return refuseArguments(io, 'start', args, usage);
  const hangups = takeHangups();
  try {
    return await start(args, io, hangups);
  } finally {
    hangups.stop();
  }
}

/** Runs the router (or the --workers parent) until it is stopped; resolves to the exit code. */
async function start(args: StartArgs, io: CommandIo, hangups: Hangups): Promise<number> {
  const worker = workerRole();
  const loaded = await loadConfig(args, worker);
  if (!loaded.ok) {
    io.stderr(loaded.report);
    return 1;
  }
  const config = loaded.config;
  // The embedded default has no file to edit: a busy port's message names only --port.
  const endpointSettings: EndpointSettings = args.source.kind !== 'embedded' ? 'config' : runByNpmStart() ? 'npm-start' : 'command-line';
  let logFile;
  try {
    logFile = args.logFile === undefined ? undefined : logFileDestination(args.logFile);
  } catch (error) {
    return cannotStart(error, io, `cannot write the log file ${args.logFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // Every worker builds the same configuration; the first one says what is wrong with it, for the node.
  const log = worker
    ? createLogger(args.logLevel, logFile, { configWarnings: worker.nodeId === workerNodeId(1) ? 'warn' : 'debug' }).child({ node: worker.nodeId })
    : createLogger(args.logLevel, logFile);
  if (worker) return serve({ args, config, endpointSettings, log, hangups, worker }, io);

  // The parent of --workers (or the only process) holds the pid files and says these once; its workers do not.
  let pidFiles;
  try {
    pidFiles = await holdPidFiles(args, log);
  } catch (error) {
    return cannotStart(error, io, error instanceof PidFileHeld ? pidFileRefusal(error, args.cbdir) : `cannot write the pid file: ${(error as Error).message}`);
  }
  try {
    if (args.cbdirByDefault) log.info({ cbdir: args.cbdir }, 'running the node folder found here, as Crossbar does without --cbdir');
    if (args.cbdirByVariable) log.info({ cbdir: args.cbdir }, `running the node folder $${cbdirVariable} names, as Crossbar does without --cbdir`);
    if (args.source.kind === 'embedded') {
      log.warn({}, 'running the embedded development default: anonymous sessions may do everything on realm "realm1", and the console at /console is open without a password; use --config for production');
    }
    for (const notice of foldWorkerNotices(config.notices)) log.info({}, notice);
    const fabricUrl = fabricUrlWarning();
    if (fabricUrl !== undefined) log.warn({}, fabricUrl);
    const run = { args, config, endpointSettings, log, hangups };
    return await (args.workers > 1 ? runParent(run, io) : serve(run, io));
  } finally {
    await pidFiles.release();
  }
}

/** What `start` runs with, once the configuration is read. */
interface StartRun {
  args: StartArgs;
  config: JunctionConfig;
  endpointSettings: EndpointSettings;
  log: Logger;
  hangups: Hangups;
}

/** The parent of --workers: forks the workers and runs what runs once per machine, until it is stopped. */
async function runParent({ args, config, endpointSettings, log, hangups }: StartRun, io: CommandIo): Promise<number> {
  let parent;
  try {
    parent = await workersParentModule('--workers');
  } catch (error) {
    return cannotStart(error, io);
  }
  const { checkGuests, fetchMissingArchives, clearWorkerCookies, removeWorkerCookies, parentGuests, runWorkers } = parent;
  // Here, not in the workers: a worker's probe would take clients from the shared port (NodeOptions.checkPorts),
  // and each worker would download the same archive.
  const refused = await Promise.resolve().then(() => checkTlsFiles(config.listeners, config.rlinks)).then(() => checkPortsFree(config.listeners, endpointSettings))
    .then(() => checkGuests(config.guests)).then(() => fetchMissingArchives(config.listeners, log)).then(() => undefined, (error: unknown) => error);
  if (refused !== undefined) return cannotStart(refused, io);
  let control: ControlSocket | undefined;
  if (args.pidFile !== undefined) {
    try {
      control = await openControlSocket(args.pidFile, workersReload(args, hangups, log), log);
    } catch (error) {
      return cannotStart(error, io, (error as Error).message);
    }
  }
  try {
    clearWorkerCookies(args.dataDir);
    // The guests run here, once, and the workers leave them out (configForWorker).
    const guests = parentGuests(config, () => loadConfig(args, undefined), log);
    // --shutdownafter counts from when every worker serves, as it does for one process; runWorkers has taken SIGTERM by then.
    let cancelStop = (): void => {};
    const beside: ParentTasks = { ...guests, serving: (stopNode) => {
      guests.serving(stopNode);
      cancelStop = stopAfter(args, log);
    } };
    const code = await runWorkers({
      count: args.workers, log, hangups, relayBufferBytes: args.relayBufferBytes, handoffQueue: args.handoffQueue, beside,
      beforeReload: () => fetchArchivesForReload(args, log),
    });
    removeWorkerCookies(args.dataDir);
    cancelStop();
    return code;
  } finally {
    await control?.close();
  }
}

/**
 * Before the workers of --workers reload: the archives a new or changed path downloads, once for
 * the node. After a failure each worker finds the file missing, tries itself and reports the path as not applied.
 */
async function fetchArchivesForReload(args: StartArgs, log: Logger): Promise<void> {
  const loaded = await loadConfig(args, undefined);
  if (!loaded.ok) return;
  const { fetchMissingArchives } = await workersParentModule('--workers');
  await fetchMissingArchives(loaded.config.listeners, log).catch((error: unknown) => {
    log.warn({ err: (error as Error).message }, 'reload: an archive could not be downloaded; each worker tries again and reports it');
  });
}

/**
 * The control socket's reload in a --workers parent: the file is checked here (a bad one changes
 * nothing and its problems go back), then every worker reloads as on SIGHUP and logs what it changed.
 */
function workersReload(args: StartArgs, hangups: Hangups, log: Logger): () => Promise<ReloadOutcome> {
  return async () => {
    const loaded = await loadConfig(args, undefined);
    if (!loaded.ok) {
      log.error({ problems: loaded.report }, 'reload refused: the configuration is not valid; nothing changed');
      return { ok: false, error: loaded.report };
    }
    hangups.raise();
    return { ok: true, applied: [`passed to the ${args.workers} workers: each applies the changes and logs them`], notApplied: [], warnings: pathFileWarnings(loaded.config.listeners) };
  };
}

async function openControlSocket(pidFile: string, reload: () => Promise<ReloadOutcome>, log: Logger): Promise<ControlSocket> {
  const socket = controlSocketPath(pidFile);
  const control = await serveControlSocket(socket, reload, log);
  log.info({ pidFile, socket }, 'pid file written; "junction reload" reaches this router through its control socket');
  return control;
}

/** One router process (alone, or a worker of --workers), until it is stopped. */
async function serve({ args, config, endpointSettings, log, hangups, worker }: StartRun & { worker?: WorkerRole }, io: CommandIo): Promise<number> {
  let node;
  // A guest's exit may fire a shutdown trigger before the signal handlers below are set up.
  let stopForTrigger = (): void => void (triggered = true);
  let triggered = false;
  try {
    const metrics = new MetricsRegistry();
    if (worker) guestMetricsFromParent(worker.ports, metrics);
    // Here, not at the top: the parent of --workers runs no router of its own.
    const { startNode } = await import('../../node/node.js');
    const cluster = config.cluster || worker ? await (await clusterModule(config.cluster ? 'cluster' : '--workers')).startBackplane(config.cluster, worker, log, metrics) : undefined;
    node = await startNode(config, {
      log, metrics, dataDir: args.dataDir, checkPorts: !worker, endpointSettings,
      ...(worker && { ports: portsFromParent(worker.ports, metrics) }),
      ...(cluster && { backplane: cluster.backplane, feeds: cluster.feeds }),
      stopNode: () => stopForTrigger(),
    });
  } catch (error) {
    return cannotStart(error, io);
  }

  worker?.ready();
  const reload = reloader(node, () => loadConfig(args, worker), log);
  let control: ControlSocket | undefined;
  // A worker's is its parent's: one socket for the node.
  if (args.pidFile !== undefined && !worker) {
    try {
      control = await openControlSocket(args.pidFile, reload, log);
    } catch (error) {
      cannotStart(error, io, (error as Error).message);
      await node.stop();
      return 1;
    }
  }

  return new Promise<number>((resolve) => {
    const shutdown = (signal: string, code = 0): void => {
      cancelStop();
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      shuttingDown = true;
      log.info({ signal }, 'signal received');
      const stopped = (async () => {
        await control?.close();
        await node.stop();
      })();
      stopped.then(() => resolve(code), (error: unknown) => {
        log.error({ err: error }, 'error during shutdown');
        resolve(1);
      }).finally(() => worker?.leave());
    };
    const onInt = (): void => shutdown('SIGINT');
    const onTerm = (): void => shutdown('SIGTERM');
    let shuttingDown = false;
    // A SIGHUP that came while the node was starting is handled here, at once.
    hangups.handle(() => {
      if (shuttingDown) return log.info({ signal: 'SIGHUP' }, 'signal ignored: shutting down');
      log.info({ signal: 'SIGHUP' }, 'signal received: reloading the configuration');
      void reload();
    });
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    // The parent of --workers stops its workers at --shutdownafter.
    const cancelStop = worker ? () => {} : stopAfter(args, log);
    worker?.onOrphaned(() => shutdown('parent process gone'));
    stopForTrigger = () => shutdown('node shutdown trigger', triggeredStopExitCode);
    if (triggered) stopForTrigger();
  });
}

/**
 * Crossbar's --shutdownafter: SIGTERM to this process once the node has served that long, which
 * stops it as "junction stop" does (armed once the SIGTERM handler is there). Returns the cancel.
 */
function stopAfter(args: StartArgs, log: Logger): () => void {
  if (args.shutdownAfterMs === undefined) return () => {};
  const timer = setTimeout(() => {
    log.info({ seconds: args.shutdownAfterMs! / 1000 }, 'stopping the node: --shutdownafter has passed');
    process.kill(process.pid, 'SIGTERM');
  }, args.shutdownAfterMs);
  return () => clearTimeout(timer);
}

/**
 * Says once, on stderr, why the router did not start: like a config with problems, as one plain
 * line that ends with its code (docs/errors.md) when it has one. No log line repeats it.
 */
function cannotStart(error: unknown, io: CommandIo, reason = listenFailure(error)): number {
  const code = error instanceof StartupError ? ` [${error.code}]` : '';
  io.stderr(`junction start: cannot start: ${reason}${code}\n`);
  return 1;
}

/**
 * The configuration as `start` runs it: from its source, with --host and --port applied, and
 * what a worker of --workers runs of it (at start and at each reload).
 */
async function loadConfig(args: StartArgs, worker: WorkerRole | undefined): Promise<LoadedConfig> {
  const loaded = await loadStartConfig(args.source);
  if (!loaded.ok) return loaded;
  const refused = applyOverrides(loaded.config, args);
  if (refused !== undefined) return { ok: false, report: `junction start: ${refused}\n` };
  return worker ? { ...loaded, config: configForWorker(loaded.config, worker.nodeId) } : loaded;
}
