import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { autobahnSerializer, openAutobahn, openConnection, type OpenSession } from './autobahn.js';
import { RunningJunction } from './cli.js';
import type { OwnedProcess } from './owned-process.js';
import { RunningRedis } from './redis-server.js';

/** A client session that knows where it landed: its session ID and WELCOME.Details.x_junction_node. */
export interface NodeClient extends OpenSession {
  id: number;
  node: string;
  url: string;
}

/**
 * What an end-to-end test file starts and must stop however its tests end: junction processes
 * (`running`, as startClusterNode takes it), client sessions, a redis-server, temporary folders,
 * and whatever else is handed to onStop. testRun() gives one that the file's after() stops.
 */
export class TestRun {
  readonly running: RunningJunction[] = [];
  private readonly sessions: OpenSession[] = [];
  private readonly cleanups: (() => unknown)[] = [];
  private readonly redisServers: RunningRedis[] = [];

  /** A redis-server on a free port, stopped by stop(). */
  async startRedis(): Promise<RunningRedis> {
    const redis = await RunningRedis.start();
    this.redisServers.push(redis);
    this.onStop(() => redis.stop());
    return redis;
  }

  /** Writes `config` as JSON to config.json in a new temporary folder (named from `prefix`; removed by stop()): the file's path. */
  async configFile(config: object, prefix = 'junction-e2e-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.onStop(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify(config));
    return file;
  }

  /** `junction start --workers COUNT` on `port` (0: one the system picks, read back with `junction.port()`; with `--config config` when given), once every worker serves: it, and each worker by node name (w1, w2...). */
  async startWorkers(port: number, config?: string, count = 2): Promise<{ junction: RunningJunction; workers: Map<string, OwnedProcess> }> {
    const junction = RunningJunction.start([...(config === undefined ? [] : ['--config', config]), '--port', String(port), '--workers', String(count)]);
    this.running.push(junction);
    return { junction, workers: await junction.workers(count) };
  }

  /** An AutobahnJS session (JSON) on realm1 at `url`, closed by stop(). */
  async open(url: string): Promise<OpenSession> {
    return this.closeAtStop(await openAutobahn(url, 'json'));
  }

  /** Likewise, knowing the node it landed on. */
  async openOnNode(url: string): Promise<NodeClient> {
    const opened = this.closeAtStop(await openConnection({ url, realm: 'realm1', serializers: [autobahnSerializer('json')] },
      (reason) => new Error(`connection failed: ${reason}`)));
    return { ...opened, id: Number(opened.session.id), node: String((opened.details as Record<string, unknown>).x_junction_node), url };
  }

  /** A session opened otherwise, to be closed by stop() (before the processes are killed). */
  closeAtStop<T extends OpenSession>(session: T): T {
    this.sessions.push(session);
    return session;
  }

  /** Runs at stop(), after the sessions are closed and the processes killed; the last added first. */
  onStop(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  /**
   * Resumes a Redis the test left paused (so that nothing waits on it meanwhile), closes the
   * sessions (a failure to close is no test's failure), kills the processes, then runs the cleanups.
   */
  async stop(): Promise<void> {
    for (const redis of this.redisServers) redis.resume();
    await Promise.all(this.sessions.splice(0).map((session) => session.close().catch(() => {})));
    this.running.forEach((junction) => junction.kill());
    for (const cleanup of this.cleanups.splice(0).reverse()) await cleanup();
  }
}

/** A TestRun stopped by the calling test file's after(). */
export function testRun(): TestRun {
  const run = new TestRun();
  after(() => run.stop());
  return run;
}
