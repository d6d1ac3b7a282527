import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RunningRedis } from './redis-server.js';

export interface SentinelSetOptions {
  /** The name the sentinels monitor the primary under. */
  name: string;
  /** requirepass of the primary and the replica (and the sentinels' auth-pass for them). */
  password: string;
  /** requirepass of the sentinels themselves (and what they give each other). */
  sentinelPassword: string;
  /** A primary unanswering this long is subjectively down for a sentinel. */
  downAfterMs: number;
}

/**
 * Redis Sentinel on loopback, for tests: a primary, one replica (`--replicaof`) and three
 * sentinels (quorum 2), each a real redis-server on a free port with no persistence. A sentinel
 * rewrites its config file, so each gets one in a temporary folder, removed by stop().
 */
export class SentinelSet {
  private constructor(
    readonly options: SentinelSetOptions,
    readonly primary: RunningRedis,
    readonly replica: RunningRedis,
    readonly sentinels: RunningRedis[],
    private readonly dir: string,
  ) {}

  static async start(options: SentinelSetOptions): Promise<SentinelSet> {
    // The folder holds the sentinels' config files and what replication writes (a replica's RDB).
    const dir = await mkdtemp(join(tmpdir(), 'junction-sentinel-'));
    const auth = ['--requirepass', options.password, '--masterauth', options.password, '--dir', dir];
    const primary = await RunningRedis.start(auth);
    const replica = await RunningRedis.start([...auth, '--replicaof', '127.0.0.1', String(primary.port)]).catch(async (error: unknown) => {
      await primary.stop();
      await rm(dir, { recursive: true, force: true });
      throw error;
    });
    const sentinels: RunningRedis[] = [];
    const set = new SentinelSet(options, primary, replica, sentinels, dir);
    try {
      for (let i = 0; i < 3; i++) {
        const file = join(dir, `sentinel-${i}.conf`);
        await writeFile(file, [
          `dir ${dir}`,
          `sentinel monitor ${options.name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${options.name} ${options.downAfterMs}`,
          `sentinel failover-timeout ${options.name} 10000`,
          `sentinel auth-pass ${options.name} ${options.password}`,
          `requirepass ${options.sentinelPassword}`,
          `sentinel sentinel-pass ${options.sentinelPassword}`,
          '',
        ].join('\n'));
        sentinels.push(await RunningRedis.start([file, '--sentinel']));
      }
      await set.settled(primary.port);
    } catch (error) {
      await set.stop();
      throw error;
    }
    return set;
  }

  /** The sentinels as `cluster.redis.sentinels` takes them. */
  get addresses(): { host: string; port: number }[] {
    return this.sentinels.map((sentinel) => ({ host: '127.0.0.1', port: sentinel.port }));
  }

  /** Asks one sentinel something (SENTINEL ...), on a connection of its own. */
  async ask(index: number, ...args: string[]): Promise<unknown> {
    const connection = new Redis({ port: this.sentinels[index]!.port, host: '127.0.0.1', password: this.options.sentinelPassword, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await connection.connect();
      return await connection.call('SENTINEL', ...args);
    } finally {
      connection.disconnect();
    }
  }

  /** The port of the primary one sentinel names now. */
  async primaryPort(index = 0): Promise<number> {
    const [, port] = await this.ask(index, 'get-master-addr-by-name', this.options.name) as [string, string];
    return Number(port);
  }

  /**
   * Waits (bounded) until every sentinel names the primary at `port`, knows the other two
   * sentinels and a replica whose link to it is up: then a failover can be agreed and has a
   * replica to promote.
   */
  async settled(port: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = await Promise.all(this.sentinels.map((_, index) => this.readyAt(index, port).catch(() => false)));
      if (ready.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`the sentinels did not settle on the primary at ${port} with its replica within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, this.replica, this.primary].map((redis) => redis.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private async readyAt(index: number, port: number): Promise<boolean> {
    if (await this.primaryPort(index) !== port) return false;
    const master = fields(await this.ask(index, 'master', this.options.name) as string[]);
    if (Number(master['num-other-sentinels']) < 2) return false;
    const replicas = (await this.ask(index, 'replicas', this.options.name) as string[][]).map(fields);
    return replicas.some((replica) => replica['master-link-status'] === 'ok' && !String(replica.flags).includes('down'));
  }
}

/** A sentinel's flat [key, value, key, value...] answer as an object. */
function fields(flat: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) result[flat[i]!] = flat[i + 1]!;
  return result;
}
