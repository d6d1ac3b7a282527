/**
 * The Python process that runs a `wsgi` path's app: Junction's WSGI host
 * (python/junction_wsgi.py, shipped with the package), started by the router worker's Python
 * (its `options.python`, else Debian's /usr/bin/python3, else python3 on the PATH) and
 * supervised as a container worker's process is: output logged with secrets masked, counted in
 * the junction_guest_* metrics, not restarted when it exits (as in Crossbar, where the app runs
 * in the router worker) but by the next reload, stopped with SIGTERM then SIGKILL. It serves HTTP on a Unix socket in a
 * folder of its own that only this user can enter.
 * A Python that cannot be found or lacks Twisted is not an error: the path answers 502 and a
 * warning says why, as for a container whose Python lacks Autobahn; the next reload tries again.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { GuestConfig, WsgiService } from '../../config/model.js';
import { guestOutputDefaults } from '../../config/schema-guest.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { guestEnvironment } from './guest-launch.js';
import { guestMetrics } from './guest-metrics.js';
import { Supervised } from './guest-workers.js';
import { findPython, pythonProbe } from './python-container.js';

/** The host, from dist/src/node/workers/ (or src/node/workers/) up to the package root. */
export const wsgiLauncher = fileURLToPath(new URL('../../../../python/junction_wsgi.py', import.meta.url));

/** How long the app may take to import and listen before the path serves without waiting for it. */
const readyTimeoutMs = 30_000;
const readyPollMs = 50;

export const wsgiLog = {
  unavailable: 'the WSGI app of this path is not run: its requests are answered 502',
  notReady: 'the WSGI app did not start listening in time; its requests are answered 502 until it does',
} as const;

export interface WsgiHostOptions {
  /** Names the process in logs and metrics ("wsgi:web1:/app"). */
  id: string;
  /** The path the app is mounted at: its SCRIPT_NAME. */
  mount: string;
  log: Logger;
  metrics: MetricsRegistry;
}

export class WsgiHost {
  private constructor(
    readonly socketPath: string,
    private readonly folder: string,
    private readonly process: Supervised | undefined,
    /** Why no process was started (when `process` is undefined). */
    private readonly notStarted: string | undefined,
  ) {}

  /** Starts the host and waits (bounded) until it listens or exits; never throws for a missing Python or a broken app. */
  static async start(service: WsgiService, options: WsgiHostOptions): Promise<WsgiHost> {
    const folder = await mkdtemp(join(tmpdir(), 'junction-wsgi-'));
    const socketPath = join(folder, 'app.sock');
    const python = service.python;
    const guest: GuestConfig = {
      id: options.id, at: python.at, executable: python.executable, arguments: [], workdir: python.workdir, env: python.env,
      stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: guestOutputDefaults.maxLineBytes, linesPerSecond: guestOutputDefaults.linesPerSecond,
    };
    const log = options.log.child({ wsgi: `${service.module}.${service.object}` });
    const interpreter = await findPython(guest, python.interpreterGiven, { install: 'python3 and python3-twisted', option: "the router worker's options.python" });
    const probe = typeof interpreter === 'string' ? await pythonProbe(interpreter, 'import twisted.web.wsgi') : undefined;
    const reason = typeof interpreter !== 'string' ? interpreter.reason
      : probe !== undefined ? `${interpreter} cannot import Twisted (${probe}); install it for that Python (Debian: apt install python3-twisted) or set the router worker's options.python` : undefined;
    if (typeof interpreter !== 'string' || reason !== undefined) {
      log.warn({ reason }, wsgiLog.unavailable);
      return new WsgiHost(socketPath, folder, undefined, reason);
    }
    const input = {
      pythonpath: python.pythonpath, module: service.module, object: service.object,
      minthreads: service.minThreads, maxthreads: service.maxThreads, mount: options.mount, socket: socketPath,
    };
    const spawn = {
      executable: interpreter, arguments: [wsgiLauncher], workdir: python.workdir, env: guestEnvironment(python.env),
      stdin: { kind: 'json', text: JSON.stringify(input), close: true } as const, stdout: 'log' as const, stderr: 'log' as const,
    };
    const process = new Supervised(guest, spawn, { log: options.log, metrics: options.metrics }, guestMetrics(options.metrics));
    process.start();
    const host = new WsgiHost(socketPath, folder, process, undefined);
    // One that exited meanwhile has said why in its output, and the supervisor has logged the exit.
    if (!(await listening(process, socketPath)) && process.isRunning()) log.warn({ timeoutMs: readyTimeoutMs }, wsgiLog.notReady);
    return host;
  }

  /** Why requests cannot reach the app, for the 502 answer. */
  unreachable(): string {
    if (this.process === undefined) return `the WSGI app is not run: ${this.notStarted}`;
    if (!this.process.isRunning()) return 'the WSGI app has exited (its output is in the log); a reload starts it again';
    return 'the WSGI app is not listening yet (still importing?)';
  }

  /** The app does not run: it exited, or no Python could run it (a reload tries again, as for a container). */
  stopped(): boolean {
    return this.process === undefined || !this.process.isRunning();
  }

  async close(): Promise<void> {
    await this.process?.close();
    await rm(this.folder, { recursive: true, force: true });
  }
}

/** True once the socket is there; false when the process exited or the time is up first. */
async function listening(process: Supervised, socketPath: string): Promise<boolean> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline && process.isRunning()) {
    if (existsSync(socketPath)) return true;
    await sleep(readyPollMs);
  }
  return false;
}
