import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accepts, freePort } from './cli.js';
import { debianNeed } from './debian.js';
import { spawnOwned } from './processes.js';

/** A real mosquitto broker on a free loopback port (anonymous, no persistence): started by a test, stopped after. */
export class RunningMosquitto {
  private constructor(readonly port: number, private readonly child: ChildProcess, private readonly folder: string) {}

  static async start(timeoutMs = 10_000): Promise<RunningMosquitto> {
    const port = await freePort();
    const folder = mkdtempSync(join(tmpdir(), 'mosquitto-'));
    const config = join(folder, 'mosquitto.conf');
    writeFileSync(config, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ''].join('\n'));
    const child = spawnOwned(debianNeed('mosquitto').file, ['-c', config], { stdio: 'ignore' });
    const broker = new RunningMosquitto(port, child, folder);
    const deadline = Date.now() + timeoutMs;
    while (!(await accepts(port))) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode})`);
      if (Date.now() > deadline) {
        await broker.stop();
        throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
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
