import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { openAutobahn, type OpenSession } from './autobahn.js';
import { openRouterConfig, type RunningJunction, startClusterNode } from './cli.js';
import { FreezingProxy } from './freezing-proxy.js';
import { RunningRedis } from './redis-server.js';

/** What a stall test asks of its cluster. */
export interface ProxiedClusterSetup {
  /** cluster.redis.command_timeout. */
  commandTimeoutMs: number;
  /** cluster.lease (heartbeats every 200 ms). */
  leaseMs: number;
  /** Components every node runs (a forwarder...). */
  components?: object[];
  /** Runs once A serves, before B starts (to let A take a forwarder's lease first). */
  afterA?: (a: RunningJunction) => Promise<void>;
}

/**
 * Two cluster nodes through the CLI on a real redis-server: A reaches Redis through a
 * FreezingProxy (so a test can freeze one of A's connections, as a half-open one after a network
 * fault), B directly. Each node serves ws, health and metrics, and has a data dir of its own, as
 * on machines of their own.
 */
export class ProxiedCluster {
  readonly running: RunningJunction[] = [];
  private readonly sessions: OpenSession[] = [];
  redis: RunningRedis | undefined;
  proxy: FreezingProxy | undefined;
  /** A direct connection to Redis for the test's own questions (CLIENT LIST...). */
  inspector: Redis | undefined;
  a: RunningJunction | undefined;
  b: RunningJunction | undefined;
  portA = 0;
  portB = 0;
  private dir: string | undefined;
  private config = '';

  /** Starts Redis, the proxy and node A, then node B (A first: it is the older node). */
  async start(setup: ProxiedClusterSetup): Promise<this> {
    this.redis = await RunningRedis.start();
    this.proxy = await FreezingProxy.start(this.redis.port);
    this.inspector = new Redis(this.redis.url);
    this.dir = await mkdtemp(join(tmpdir(), 'junction-proxied-'));
    const config = this.config = join(this.dir, 'config.json');
    const document = openRouterConfig({ ws: { type: 'websocket' }, health: { type: 'health' }, metrics: { type: 'metrics' } },
      { redis: { url: '${REDIS_URL}', command_timeout: setup.commandTimeoutMs }, heartbeat: 200, lease: setup.leaseMs }, setup.components);
    await writeFile(config, JSON.stringify(document));
    // Port 0: the system picks a port no other process can take before the node binds it.
    this.a = await startClusterNode(this.running, config, 0, { REDIS_URL: this.proxy.url }, ['--data-dir', join(this.dir, 'a')]);
    this.portA = await this.a.port();
    await setup.afterA?.(this.a);
    await this.startB();
    return this;
  }

  /** Starts node B (again, once the test killed it: on the same port, the one the system picked the first time, and data dir). */
  async startB(): Promise<RunningJunction> {
    this.b = await startClusterNode(this.running, this.config, this.portB, { REDIS_URL: this.redis!.url }, ['--data-dir', join(this.dir!, 'b')]);
    this.portB = await this.b.port();
    return this.b;
  }

  /** An AutobahnJS session (JSON) on `node`'s WebSocket, closed by stop(). */
  async open(node: RunningJunction): Promise<OpenSession> {
    const session = await openAutobahn(await node.url(), 'json');
    this.sessions.push(session);
    return session;
  }

  /** Stops what start() started, however far it got. */
  async stop(): Promise<void> {
    await Promise.all(this.sessions.map((session) => session.close().catch(() => {})));
    this.running.forEach((junction) => junction.kill());
    this.inspector?.disconnect();
    await this.proxy?.close();
    await this.redis?.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}
