import { type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { CommandIo } from '../../src/cli/io.js';
import { OwnedProcess } from './owned-process.js';
import { spawnOwned } from './processes.js';
import { Arrivals, within } from './wait.js';

export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const junctionBin = fileURLToPath(new URL('../../../bin/junction.js', import.meta.url));

/** A CommandIo for running a command in this process: what it writes collects in `out`. */
export function captureIo(): { out: { stdout: string; stderr: string }; io: CommandIo } {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

/** Whether something accepts TCP connections on this loopback port (a server a test started is up). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The first port the system gives outgoing connections (and listeners on port 0), Linux's
 * ip_local_port_range; undefined elsewhere.
 */
function ephemeralPortsStart(): number | undefined {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 1024 ? start : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a listener could take `port` on loopback now. */
function bindable(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port that was free a moment ago, for tests that must pass a port number to what cannot take
 * port 0 (see onFreePort). Picked at random below the ports the system gives outgoing connections:
 * one it gave a listener on port 0 is free again once that listener closes, and any connection
 * made meanwhile (every test makes them) may get it as its own port, which the bind then finds taken.
 */
export async function freePort(): Promise<number> {
  const start = ephemeralPortsStart();
  if (start !== undefined) {
    const low = Math.max(1025, start - 12_000);
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = low + Math.floor(Math.random() * (start - low));
      if (await bindable(port)) return port;
    }
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A server a test started could not bind its port: another process has it. */
export class PortTaken extends Error {
  constructor(server: string, port: number) {
    super(`${server} could not listen on ${port}: another process took the port`);
  }
}

/**
 * `start` on a freePort(), and again on another while it throws PortTaken (5 tries): for a server
 * that cannot listen on port 0 and say which port it got (redis-server, mosquitto, nginx), whose
 * port another process may take between the pick and its bind. Whatever can take port 0 is given
 * 0 instead.
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 5) throw error;
    }
  }
}

/**
 * How long a test waits for a junction process to start serving (its 'listening', 'worker
 * serving' or 'joined the cluster' line), or for a command that ends at once (version, check, a
 * start refused) to end. Starting loads the modules its configuration uses: under a second on an idle machine, but 5 to
 * 15 s for one process was measured under a load of 20 on 2 cores (other test files, other
 * benches), and --workers starts three processes. A start in time costs no more wait for it.
 */
export const STARTUP_MS = 60_000;

/**
 * How long a test waits for a junction process it signalled (or that ends on its own) to exit: a
 * --workers parent gives its workers 10 s before it kills them, and a loaded machine (see
 * STARTUP_MS) is slow at everything. An exit in time costs no more wait for it.
 */
export const EXIT_MS = 60_000;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `junction ARGS` to completion (bounded by `timeoutMs`); `bin`: another path to bin/junction.js (a link named crossbar); `env`: added to this process's environment. */
export function runJunction(args: string[], timeoutMs = STARTUP_MS, cwd = projectRoot, bin = junctionBin, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnOwned(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`junction ${args.join(' ')} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A running `junction start` whose JSON log lines are collected as they come. */
export class RunningJunction {
  readonly lines: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly arrivals = new Arrivals({
    stopped: () => (this.child.exitCode === null ? undefined : `junction exited (${this.child.exitCode})`),
    received: () => `stderr: ${this.stderr.slice(-2_000)}; last log lines: ${this.lines.slice(-5).map((line) => JSON.stringify(line)).join(' ')}`,
  });

  constructor(readonly child: ChildProcess) {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ level: 0, msg: line });
        }
      }
      this.arrivals.wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      this.arrivals.wake();
      resolve(code);
    }));
  }

  /** `env`: added to this process's environment. */
  static start(args: string[], cwd = projectRoot, env: NodeJS.ProcessEnv = {}): RunningJunction {
    return new RunningJunction(spawnOwned(process.execPath, [junctionBin, 'start', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Waits for a log line matching `match`, bounded by `timeoutMs`. */
  async waitForLine(match: (line: LogLine) => boolean, timeoutMs = 10_000): Promise<LogLine> {
    await this.arrivals.until(() => this.lines.some(match), 'a matching log line', timeoutMs);
    return this.lines.find(match)!;
  }

  /** Its exit code once it has exited, failing after `timeoutMs`. */
  waitForExit(timeoutMs = EXIT_MS): Promise<number | null> {
    return within(this.exited, `junction (pid ${this.child.pid}) to exit`, timeoutMs, () => `; stderr: ${this.stderr.slice(-2_000)}`);
  }

  /** Waits for a line the process writes as it starts serving (STARTUP_MS). */
  started(match: (line: LogLine) => boolean): Promise<LogLine> {
    return this.waitForLine(match, STARTUP_MS);
  }

  /** The WebSocket URL from the "listening" line. */
  async url(): Promise<string> {
    return String((await this.started((line) => line.msg === 'listening' && line.service === 'websocket')).url);
  }

  /** The port of that URL: what the system picked for a node started on port 0 (which no other process can take first, as it can a freePort()). */
  async port(): Promise<number> {
    return Number(new URL(await this.url()).port);
  }

  /** Worker `node` of a `--workers` parent, as its latest 'worker serving' line names it (waiting for the first, STARTUP_MS). */
  async worker(node: string): Promise<OwnedProcess> {
    const serving = (line: LogLine): boolean => line.msg === 'worker serving' && line.node === node;
    await this.started(serving);
    return OwnedProcess.under(this.child, Number(this.lines.findLast(serving)!.pid), `worker ${node}`);
  }

  /** Workers w1 to w`count` of a `--workers` parent, by node name, once each serves. */
  async workers(count: number): Promise<Map<string, OwnedProcess>> {
    const workers = new Map<string, OwnedProcess>();
    for (let worker = 1; worker <= count; worker++) workers.set(`w${worker}`, await this.worker(`w${worker}`));
    return workers;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

/**
 * Starts `junction start --config FILE --port PORT` with `env` added to this process's, adds it to
 * `running` (so the caller's cleanup stops it even if it never joins), and waits until the node
 * has joined its cluster. `args`: more `junction start` arguments (`--data-dir`...).
 */
export async function startClusterNode(running: RunningJunction[], config: string, port: number, env: NodeJS.ProcessEnv, args: string[] = []): Promise<RunningJunction> {
  const child = spawnOwned(process.execPath, [junctionBin, 'start', '--config', config, '--port', String(port), ...args],
    { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const junction = new RunningJunction(child);
  running.push(junction);
  await junction.started((line) => line.msg === 'joined the cluster');
  return junction;
}

/**
 * A config of one router on 127.0.0.1 (its port from `--port`) whose realm1 lets anonymous do
 * everything, serving `paths` on one web transport, with the `cluster` block and `components`
 * when given: the shape the cluster tests start their nodes from.
 */
export function openRouterConfig(paths: Record<string, object>, cluster?: object, components?: object[]): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: [{ name: 'anonymous', 'allow-by-default': true }] }],
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, paths }],
      ...(cluster && { cluster }),
      ...(components && { components }),
    }],
  };
}

/** `count` nodes of one cluster config, each on a port the system picks and serving: their ports, in start order. */
export async function startClusterNodes(running: RunningJunction[], config: string, count: number, env: NodeJS.ProcessEnv): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await (await startClusterNode(running, config, 0, env)).port());
  return ports;
}
