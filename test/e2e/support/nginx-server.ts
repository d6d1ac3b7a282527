import { type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accepts, onFreePort, PortTaken } from '../../support/cli.js';
import { debianNeed } from '../../support/debian.js';
import { spawnOwned } from '../../support/processes.js';
import { within } from '../../support/wait.js';

/** Debian's nginx; CI installs it (.ci/run). */
export const nginxBinary = debianNeed('nginx').file;

/** A real nginx in the foreground, as one unprivileged-safe process whose files all live in a temp dir. */
export class RunningNginx {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Writes nginx.conf around `http` (the body of the http block: maps, upstreams, server blocks;
   * `{{port}}` stands for the port nginx listens on), starts nginx and waits until it serves.
   * Rejects with nginx's error log when it exits first (a config error). nginx cannot say which
   * port the system picked for it: onFreePort.
   */
  static start(http: (port: number) => string, timeoutMs = 10_000): Promise<RunningNginx> {
    return onFreePort((port) => RunningNginx.startOn(port, http, timeoutMs));
  }

  /** On `port`; rejects with PortTaken when another process has it. */
  static async startOn(port: number, http: (port: number) => string, timeoutMs = 10_000): Promise<RunningNginx> {
    const dir = await mkdtemp(join(tmpdir(), 'junction-nginx-'));
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, mainConfig(dir, http(port)));
    const child = spawnOwned(nginxBinary, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const nginx = new RunningNginx(port, dir, child, exited);
    let early = false;
    void exited.then(() => (early = true));
    const deadline = Date.now() + timeoutMs;
    // nginx names itself in its log once its ports are bound: until then, what accepts on the port may be another process.
    while (!/\[notice\] [^\n]*: nginx\//.test(await nginx.errorLog()) || !(await accepts(port))) {
      if (early || Date.now() > deadline) {
        const log = await nginx.errorLog();
        await nginx.stop();
        if (early && /bind\(\) to [^\n]* failed \(98: Address already in use\)/.test(log)) throw new PortTaken('nginx', port);
        throw new Error(`nginx did not start on port ${port}:\n${stderr}\n${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return nginx;
  }

  /** The error log so far (for failure messages). */
  errorLog(): Promise<string> {
    return readFile(join(this.dir, 'error.log'), 'utf8').catch(() => '');
  }

  /** SIGTERM (fast shutdown), wait for the exit, remove the temp dir. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await within(this.exited, 'nginx to exit after SIGTERM', 30_000);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** One process, no daemon, every path nginx writes to inside `dir`, listening set by the caller. */
function mainConfig(dir: string, http: string): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`;
}
