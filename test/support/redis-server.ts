import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { accepts, onFreePort, PortTaken, projectRoot } from './cli.js';
import { debianNeed } from './debian.js';
import { spawnOwned } from './processes.js';

/** A real redis-server on a free loopback port, with no persistence: started by a test, stopped after. */
export class RunningRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number, private readonly extraArgs: readonly string[]) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /**
   * `extraArgs`: more redis-server arguments (`--replicaof`, `--requirepass`...; a config file
   * first, then `--sentinel`, for a sentinel). Port 0 means no TCP at all to redis-server: onFreePort.
   */
  static start(extraArgs: readonly string[] = []): Promise<RunningRedis> {
    return onFreePort((port) => RunningRedis.startOn(port, extraArgs));
  }

  /** On `port`; rejects with PortTaken when another process has it. */
  static async startOn(port: number, extraArgs: readonly string[] = []): Promise<RunningRedis> {
    const redis = new RunningRedis(port, extraArgs);
    await redis.restart();
    return redis;
  }

  /**
   * Starts it (again, on the same port, empty) and waits until it serves. Its own log says it bound
   * the port ("Running mode=..., port=N", in every mode): a connection accepted on the port could be
   * another process's, which took the port meanwhile (redis-server then exits: PortTaken).
   */
  async restart(timeoutMs = 10_000): Promise<void> {
    const child = spawnOwned(debianNeed('redis-server').file,
      [...this.extraArgs, '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    // Read for as long as it runs (a full pipe would stop it); the start is kept, for errors.
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      if (output.length < 16_384) output += chunk.toString();
    });
    let closed = false;
    child.once('close', () => (closed = true)); // after its output has all been read
    const deadline = Date.now() + timeoutMs;
    while (!/Running mode=\w+, port=/.test(output) || !(await accepts(this.port))) {
      if (closed) {
        if (/Address already in use/.test(output)) throw new PortTaken('redis-server', this.port);
        throw new Error(`redis-server exited (${child.exitCode}): ${output.slice(-2_000)}`);
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`redis-server did not listen on ${this.port} within ${timeoutMs} ms: ${output.slice(-2_000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops it answering without closing its connections (SIGSTOP): a Redis that does not keep up. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** The `ACL SETUSER` rules docs/cluster.md ("The Redis user") gives, as redis-cli would pass them. */
export function documentedAclRules(): string[] {
  const doc = readFileSync(join(projectRoot, 'docs', 'cluster.md'), 'utf8');
  const command = /redis-cli ACL SETUSER junction ([^`]+?)\n```/.exec(doc);
  assert.ok(command, 'docs/cluster.md gives the ACL SETUSER command');
  return command[1]!.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean).map((word) => word.replace(/^'(.*)'$/, '$1'));
}
