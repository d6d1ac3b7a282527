import { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { clusterDefaults } from '../../config/file-schema.js';
import type { ClaimAnswer } from '../../router/backplane.js';
import type { MeshLink, MeshMessage } from '../../router/backplane-mesh.js';
import type { Logger } from '../../router/log.js';
import type { InvocationPolicy } from '../../router/options.js';

export interface RedisLinkOptions {
  url: string;
  nodeId: string;
  log: Logger;
  /** Every key and channel starts with this (several clusters may share one Redis; default: clusterDefaults). */
  prefix?: string;
  /** How often this node says it is alive (default: the config's, clusterDefaults). */
  heartbeatMs?: number;
  /** A node not heard from for this long is dead: the others forget it and free its claims (default: clusterDefaults). */
  leaseMs?: number;
}

/** What crosses Redis: a mesh message, or a heartbeat. */
type Wire = { from: string; message: MeshMessage } | { from: string; beat: true };

const packr = new Packr({ useRecords: false });

/**
 * Claims as one atomic step in Redis (see ClaimTable for the rule). KEYS: the policy, the set of
 * holders, this node's set of claimed keys, the cluster's claim counter. ARGV: node, policy,
 * claim key. Returns "ok:TICKET" or the policy it is held under.
 */
const claimScript = `
local held = redis.call('GET', KEYS[1])
if held and (ARGV[2] == 'single' or held ~= ARGV[2]) and redis.call('SCARD', KEYS[2]) > 0 then return held end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
return 'ok:' .. redis.call('INCR', KEYS[4])`;

/** KEYS: the policy, the holders, the node's claimed keys. ARGV: node, claim key. */
const releaseScript = `
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[2])
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
return 1`;

/**
 * A mesh link through Redis pub/sub, for nodes on several machines: one channel per node for
 * what is sent to it (publications go only to nodes with a matching subscription: the mesh
 * decides, the channel carries), one channel for what goes to all. A heartbeat on that channel
 * and a lease tell the living from the dead. While Redis is unreachable nothing queues: what
 * would cross is dropped and counted, local clients are served, and once Redis is back the node
 * announces itself again (the mesh's rejoin).
 */
export class RedisLink implements MeshLink {
  /** Whether Redis is reachable now. */
  connected = false;
  /** Messages that could not be sent while Redis was unreachable. */
  dropped = 0;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly url: string;
  private readonly prefix: string;
  private readonly nodeId: string;
  private readonly log: Logger;
  private readonly leaseMs: number;
  private readonly lastHeard = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;
  private receive: ((message: MeshMessage, from: string) => void) | undefined;
  private rejoin: (() => void) | undefined;
  private everConnected = false;
  private closed = false;

  constructor(options: RedisLinkOptions) {
    this.url = options.url;
    this.prefix = options.prefix ?? clusterDefaults.prefix;
    this.nodeId = options.nodeId;
    this.log = options.log;
    this.leaseMs = options.leaseMs ?? clusterDefaults.leaseMs;
    // No offline queue: while Redis is away, sends fail at once instead of piling up in memory.
    const redisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false };
    this.commands = new Redis(options.url, redisOptions);
    this.subscriber = new Redis(options.url, { ...redisOptions, enableOfflineQueue: true });
    this.commands.on('error', () => {}); // reported through 'close'/'ready' below, once per change
    this.subscriber.on('error', () => {});
    this.commands.on('close', () => this.changed(false));
    this.commands.on('ready', () => this.changed(true));
    this.subscriber.on('ready', () => this.changed(true));
    this.subscriber.on('messageBuffer', (_channel: Buffer, data: Buffer) => this.arrived(data));
    void this.subscriber.subscribe(this.channel('all'), this.channel(`node:${this.nodeId}`)).catch(() => {});
    const heartbeatMs = options.heartbeatMs ?? clusterDefaults.heartbeatMs;
    this.timer = setInterval(() => this.tick(), heartbeatMs);
    this.timer.unref();
  }

  /** Resolves once Redis answered and this node's subscriptions are in place (bounded by `timeoutMs`). */
  async ready(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.connected && this.subscriber.status === 'ready')) {
      if (Date.now() > deadline) throw new Error(`Redis at ${redisAddress(this.url)} did not answer within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // A node that rejoins under its name starts clean: whatever it claimed before is free.
    await this.dropClaims(this.nodeId);
  }

  /** Why the node serves only its own clients now, or undefined: /health says degraded. */
  get degraded(): string | undefined {
    return this.connected ? undefined : `Redis at ${redisAddress(this.url)} is unreachable: serving this node's clients only`;
  }

  send(message: MeshMessage, to?: readonly string[]): void {
    const data = packr.pack({ from: this.nodeId, message } satisfies Wire);
    if (to === undefined) this.publish('all', data);
    else for (const node of to) this.publish(`node:${node}`, data);
  }

  onMessage(receive: (message: MeshMessage, from: string) => void): void {
    this.receive = receive;
  }

  onReconnect(rejoin: () => void): void {
    this.rejoin = rejoin;
  }

  async claim(key: string, invoke: InvocationPolicy): Promise<ClaimAnswer> {
    try {
      const answer = String(await this.commands.eval(claimScript, 4, ...this.claimKeys(key, this.nodeId), this.channel('claim-tickets'),
        this.nodeId, invoke, key));
      return answer.startsWith('ok:') ? { ok: true, ticket: Number(answer.slice(3)) } : { ok: false, heldAs: answer as InvocationPolicy };
    } catch (error) {
      // Redis unreachable: the node serves on its own, as for everything else; rejoin claims again.
      this.log.warn({ key, err: error }, 'procedure claim could not reach Redis; registered on this node only until Redis is back');
      return { ok: true };
    }
  }

  release(key: string): void {
    this.commands.eval(releaseScript, 3, ...this.claimKeys(key, this.nodeId), this.nodeId, key).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    if (this.connected) await this.dropClaims(this.nodeId).catch(() => {});
    this.subscriber.disconnect();
    await this.commands.quit().catch(() => this.commands.disconnect());
  }

  /** Stops as a process that dies would: no goodbye, no claims freed; the others notice through the lease (tests). */
  vanish(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.subscriber.disconnect();
    this.commands.disconnect();
  }

  private channel(name: string): string {
    return `${this.prefix}:${name}`;
  }

  private claimKeys(key: string, node: string): [string, string, string] {
    return [this.channel(`claim:${key}`), this.channel(`claimers:${key}`), this.channel(`claims-of:${node}`)];
  }

  private publish(name: string, data: Buffer): void {
    if (this.closed) return;
    if (!this.connected) {
      this.dropped++;
      return;
    }
    this.commands.publish(this.channel(name), data).catch(() => void this.dropped++);
  }

  private arrived(data: Buffer): void {
    let wire: Wire;
    try {
      wire = packr.unpack(data) as Wire;
    } catch (error) {
      this.log.warn({ err: error }, 'unreadable message on the cluster channel ignored');
      return;
    }
    if (wire.from === this.nodeId) return;
    // A heartbeat from a node this one does not know (lost past its lease, or its hello missed):
    // ask it for its state, so that both converge whoever lost what.
    if (!('message' in wire) && !this.lastHeard.has(wire.from)) this.send({ k: 'sync' }, [wire.from]);
    this.lastHeard.set(wire.from, Date.now());
    if ('message' in wire) this.receive?.(wire.message, wire.from);
  }

  /** Connected means both connections are ready: commands to send, the subscriber to hear the answers. */
  private changed(ready: boolean): void {
    const connected = ready && this.commands.status === 'ready' && this.subscriber.status === 'ready';
    if (this.connected === connected || this.closed) return;
    this.connected = connected;
    if (!connected) {
      this.log.warn({}, 'lost the connection to Redis: serving local clients only until it is back');
      return;
    }
    if (!this.everConnected) {
      this.everConnected = true;
      return;
    }
    this.log.info({ dropped: this.dropped }, 'Redis is back: announcing this node again');
    this.rejoin?.();
  }

  /** Says this node is alive, and lets go of nodes whose lease ran out. */
  private tick(): void {
    this.publish('all', packr.pack({ from: this.nodeId, beat: true } satisfies Wire));
    const now = Date.now();
    for (const [node, heard] of this.lastHeard) {
      if (now - heard <= this.leaseMs) continue;
      this.lastHeard.delete(node);
      this.log.warn({ node, leaseMs: this.leaseMs }, 'cluster node silent past its lease: forgetting its sessions, subscriptions and registrations');
      this.receive?.({ k: 'gone' }, node);
      if (this.connected) this.dropClaims(node).catch(() => {});
    }
  }

  /** Frees every claim a node holds (it died, or rejoins clean). Idempotent: several nodes may do it at once. */
  private async dropClaims(node: string): Promise<void> {
    const keys = await this.commands.smembers(this.channel(`claims-of:${node}`));
    for (const key of keys) await this.commands.eval(releaseScript, 3, ...this.claimKeys(key, node), node, key);
  }
}

/** host:port/db of a Redis URL, for logs and errors: never its password. */
export function redisAddress(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return 'an unreadable URL';
  }
}
