import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accepts, onFreePort, PortTaken } from './cli.js';
import { debianNeed } from './debian.js';
import { spawnOwned } from './processes.js';

/** A real mosquitto broker on a free loopback port (anonymous, no persistence): started by a test, stopped after. */
export class RunningMosquitto {
  private constructor(readonly port: number, private readonly child: ChildProcess, private readonly folder: string) {}

  /** Port 0 is no port to mosquitto: onFreePort. */
  static start(timeoutMs = 10_000): Promise<RunningMosquitto> {
    return onFreePort((port) => RunningMosquitto.startOn(port, timeoutMs));
  }

  /**
   * On `port`; rejects with PortTaken when another process has it. Its log says it serves ("running",
   * once its listeners are open): a connection accepted on the port before that could be another process's.
   */
  static async startOn(port: number, timeoutMs = 10_000): Promise<RunningMosquitto> {
    const folder = mkdtempSync(join(tmpdir(), 'mosquitto-'));
    const config = join(folder, 'mosquitto.conf');
    writeFileSync(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ''].join('\n'));
    const child = spawnOwned(debianNeed('mosquitto').file, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    // Read for as long as it runs (a full pipe would stop it); the start is kept, for errors.
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      if (log.length < 16_384) log += chunk.toString();
    });
    let closed = false;
    child.once('close', () => (closed = true)); // after its output has all been read
    const broker = new RunningMosquitto(port, child, folder);
    const deadline = Date.now() + timeoutMs;
    while (!/: mosquitto version \S+ running/.test(log) || !(await accepts(port))) {
      if (closed) {
        await broker.stop();
        if (/Error: Address already in use/.test(log)) throw new PortTaken('mosquitto', port);
        throw new Error(`mosquitto exited (${child.exitCode}): ${log.slice(-2_000)}`);
      }
      if (Date.now() > deadline) {
        await broker.stop();
        throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms: ${log.slice(-2_000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return broker;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}
