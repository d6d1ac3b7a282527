/**
 * The Python process that runs a `wsgi` path's app, a `resource` path's Twisted resource class or
 * a `wap` path's Jinja2 templates: Junction's Python web host (python/junction_web.py, shipped
 * with the package), started by the router worker's Python (its `options.python`, else Debian's
 * /usr/bin/python3, else python3 on the PATH) and supervised as a container worker's process is:
 * output logged with secrets masked, counted in the junction_guest_* metrics, stopped with SIGTERM
 * then SIGKILL. One that exits before it listens (an app that cannot be imported) is started again
 * by the next reload; one that served and then died (a crash, the app's own os._exit) is started
 * again after a delay that doubles while it keeps dying soon after its start. It serves HTTP on a Unix socket in a folder of its own that
 * only this user can enter.
 * A Python that cannot be found or lacks Twisted (or Jinja2) is not an error: the path answers 502
 * and a warning says why, as for a container whose Python lacks Autobahn; the next reload tries again.
 */

import { existsSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { retryDelay, type ReconnectPolicy } from '../../client/backoff.js';
import type { ResourceService, WapService, WsgiService } from '../../config/model.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { makeSocketFolder } from '../socket-folder.js';
import { guestEnvironment } from './guest-launch.js';
import { guestMetrics } from './guest-metrics.js';
import { Supervised } from './guest-workers.js';
import { findPython, pythonProbe, routerPythonOption } from './python-container.js';
import { aboutConfig } from '../logger.js';
import { workerPythonGuest } from '../../config/normalize-guests.js';

/** The host, from dist/src/node/workers/ (or src/node/workers/) up to the package root. */
export const webHostLauncher = fileURLToPath(new URL('../../../../python/junction_web.py', import.meta.url));

/** The paths whose app the host runs (a wap path's with its templates folder found). */
export type HostedService = WsgiService | ResourceService | (WapService & { templates: string });

/** How long the app may take to import and listen before the path serves without waiting for it. */
const readyTimeoutMs = 30_000;
const readyPollMs = 50;

/**
 * A host that served and then exited is started again after `delays.initialDelay`, twice as long
 * for each exit in a row within `stableMs` of its start (a longer run counts the next exit as the
 * first again), at most `delays.maxDelay`: an app that a request can make die takes its path away
 * for moments, not until a reload, and cannot make Junction spin restarting it. No jitter: one
 * process has no crowd of others to spread out from.
 */
export const webHostRestart = {
  delays: { initialDelay: 1_000, maxDelay: 60_000, growth: 2, maxRetries: Infinity, jitter: 0 } satisfies ReconnectPolicy,
  stableMs: 60_000,
} as const;

export const webHostLog = {
  unavailable: 'the Python app of this path is not run: its requests are answered 502',
  notReady: 'the Python app did not start listening in time; its requests are answered 502 until it does',
  restarting: 'the Python app exited while serving: its requests are answered 502 until it is started again',
} as const;

/** How messages name what the host runs, and what its Python must be able to import. */
const hosted = {
  wsgi: { noun: 'WSGI app', imports: 'twisted.web.wsgi', what: 'Twisted', debian: 'python3-twisted' },
  resource: { noun: 'resource class', imports: 'twisted.web.wsgi', what: 'Twisted', debian: 'python3-twisted' },
  wap: { noun: 'template renderer', imports: 'twisted.web.wsgi, jinja2', what: 'Twisted and Jinja2', debian: 'python3-twisted python3-jinja2' },
} as const satisfies Record<HostedService['type'], { noun: string; imports: string; what: string; debian: string }>;

export interface PythonWebHostOptions {
  /** Names the process in logs and metrics ("wsgi:web1:/app", "resource:web1:/r", "wap:web1:/w"). */
  id: string;
  /** The path the app is mounted at: a WSGI app's SCRIPT_NAME ("/" for a wap path's renderer, which Junction alone asks). */
  mount: string;
  log: Logger;
  metrics: MetricsRegistry;
}

export class PythonWebHost {
  /** Exits in a row, each within webHostRestart.stableMs of its start. */
  private quickExits = 0;
  private startedAt = performance.now();
  private restart: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly noun: string,
    readonly socketPath: string,
    private readonly folder: string,
    private readonly process: Supervised | undefined,
    /** Why no process was started (when `process` is undefined). */
    private readonly notStarted: string | undefined,
    private readonly log: Logger,
  ) {}

  /** Starts the host and waits (bounded) until it listens or exits; never throws for a missing Python or a broken app. */
  static async start(service: HostedService, options: PythonWebHostOptions): Promise<PythonWebHost> {
    const folder = await makeSocketFolder('web');
    const { noun, imports, what, debian } = hosted[service.type];
    const socketPath = join(folder, 'app.sock');
    const python = service.python;
    const guest = workerPythonGuest(options.id, python);
    const log = options.log.child(service.type === 'wsgi' ? { wsgi: `${service.module}.${service.object}` }
      : service.type === 'resource' ? { resource: service.classname } : { templates: service.templates });
    const interpreter = await findPython(guest, python.interpreterGiven, { install: `python3 and ${debian}`, option: routerPythonOption });
    const probe = typeof interpreter === 'string' ? await pythonProbe(interpreter, `import ${imports}`) : undefined;
    const reason = typeof interpreter !== 'string' ? interpreter.reason
      : probe !== undefined ? `${interpreter} cannot import ${what} (${probe}); install it for that Python (Debian: apt install ${debian}) or set ${routerPythonOption}` : undefined;
    if (typeof interpreter !== 'string' || reason !== undefined) {
      log.warn({ reason, ...aboutConfig }, webHostLog.unavailable);
      return new PythonWebHost(noun, socketPath, folder, undefined, reason, log);
    }
    const input = { pythonpath: python.pythonpath, mount: options.mount, socket: socketPath, app: hostedApp(service) };
    const spawn = {
      executable: interpreter, arguments: [webHostLauncher], workdir: python.workdir, env: guestEnvironment(python.env),
      stdin: { kind: 'json', text: JSON.stringify(input), close: true } as const, stdout: 'log' as const, stderr: 'log' as const,
    };
    const process = new Supervised(guest, spawn, { log: options.log, metrics: options.metrics }, guestMetrics(options.metrics));
    process.start();
    const host = new PythonWebHost(noun, socketPath, folder, process, undefined, log);
    // One that exited meanwhile has said why in its output, and the supervisor has logged the exit.
    const served = await listening(process, socketPath);
    if (!served && process.isRunning()) log.warn({ timeoutMs: readyTimeoutMs }, webHostLog.notReady);
    if (served || process.isRunning()) process.onEnded = () => host.exitedWhileServing(process);
    return host;
  }

  private exitedWhileServing(process: Supervised): void {
    if (this.closed) return;
    this.quickExits = performance.now() - this.startedAt < webHostRestart.stableMs ? this.quickExits + 1 : 1;
    const delayMs = retryDelay(webHostRestart.delays, this.quickExits);
    this.log.warn({ restartInMs: delayMs }, webHostLog.restarting);
    this.restart = setTimeout(() => {
      this.restart = undefined;
      // Its socket outlives a process that did not stop itself; the new one listens on the same path.
      rmSync(this.socketPath, { force: true });
      this.startedAt = performance.now();
      process.start();
    }, delayMs);
  }

  /** Why requests cannot reach the app, for the 502 answer. */
  unreachable(): string {
    if (this.process === undefined) return `the ${this.noun} is not run: ${this.notStarted}`;
    if (!this.process.isRunning()) return `the ${this.noun} has exited (its output is in the log); ${this.restart === undefined ? 'a reload starts it again' : 'it is started again shortly'}`;
    return `the ${this.noun} is not listening yet (still importing?)`;
  }

  /** The app does not run: it exited, or no Python could run it (a reload tries again, as for a container). */
  stopped(): boolean {
    return this.process === undefined || !this.process.isRunning();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restart);
    await this.process?.close();
    await rm(this.folder, { recursive: true, force: true });
  }
}

/** The app as python/junction_web.py reads it (Crossbar's keys). */
function hostedApp(service: HostedService): Record<string, unknown> {
  switch (service.type) {
    case 'wsgi':
      return { kind: 'wsgi', module: service.module, object: service.object, minthreads: service.minThreads, maxthreads: service.maxThreads };
    case 'resource':
      return { kind: 'resource', classname: service.classname, extra: service.extra };
    case 'wap':
      return {
        kind: 'templates', folder: service.templates, sandbox: service.sandbox,
        templates: [...new Set(service.routes.map((route) => route.render))], max_output_bytes: service.options.maxOutputBytes,
      };
  }
}

/**
 * True once the app accepts connections on the socket; false when the process exited or the time
 * is up first. The socket's file appears when Python binds it, before it listens: a request sent
 * then was refused.
 */
async function listening(process: Supervised, socketPath: string): Promise<boolean> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline && process.isRunning()) {
    if (existsSync(socketPath) && await socketAccepts(socketPath)) return true;
    await sleep(readyPollMs);
  }
  return false;
}

/** Whether something listens on the Unix socket at `socketPath` now. */
export function socketAccepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
