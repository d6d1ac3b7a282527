import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Packr } from 'msgpackr';
import { clusterDefaults } from '../../config/file-schema.js';
import type { RedisServerConfig } from '../../config/model.js';
import type { ClaimAnswer } from '../../router/backplane.js';
import type { MeshLink, MeshMessage } from '../../router/backplane-mesh.js';
import type { BackplaneDropReason, BackplaneMetrics } from '../../router/backplane-metrics.js';
import { WarningThrottle, warningIntervalMs } from '../../router/limits/warning-throttle.js';
import type { Logger } from '../../router/log.js';
import type { InvocationPolicy } from '../../router/options.js';
import { corkForThisTurn } from '../../transport/write-coalescing.js';
import { closeRedis, connectRedis, describeRedis, lastWords, reconnectRedis } from './redis-connection.js';
import { SubscriberEcho } from './redis-echo.js';
import { namedConnection } from './redis-fence.js';
import { FencedConnection } from './redis-fenced-connection.js';
import { dropNodeSeats, RedisSeats } from './redis-seats.js';
import { RedisLiveness } from './redis-liveness.js';
import { isCommandTimeout, isCredentialRefusal, latestRefusal, RedisTimeouts, type RedisRefusal } from './redis-timeouts.js';

export interface RedisLinkOptions {
  redis: RedisServerConfig;
  nodeId: string;
  log: Logger;
  /** Every key and channel starts with this (several clusters may share one Redis; default: clusterDefaults). */
  prefix?: string;
  /** How often this node says it is alive (default: the config's, clusterDefaults). */
  heartbeatMs?: number;
  /** A node not heard from for this long is dead: the others forget it and free its claims (default: clusterDefaults). */
  leaseMs?: number;
  /** Bytes handed to Redis and not yet acknowledged, at most: past it, publications are dropped (cluster.redis.max_pending_bytes; default: clusterDefaults). */
  maxPendingBytes?: number;
  /** How often to ask Redis whether the others' connections are still there, to notice a dead node before its lease (default: clusterDefaults; see RedisLiveness). */
  livenessMs?: number;
  /** Counts and warns about commands Redis did not answer; its limit is the commands' timeout (default: clusterDefaults.commandTimeoutMs, uncounted). */
  timeouts?: RedisTimeouts;
}

/**
 * What crosses Redis: a mesh message, or a heartbeat. A heartbeat names the process too (`process`,
 * drawn at start), so that two processes given one node_id notice each other, and so that the
 * others tell a node restarted under its name from its previous process; it carries its number
 * (`n`, for SubscriberEcho). A hello names the process as well: the new life it announces is that
 * one's. Older nodes send neither.
 */
type Wire = { from: string; message: MeshMessage; process?: string } | { from: string; beat: true; process?: string; n?: number };

/** The processes remembered per node name: enough that two twins taking turns are not each time taken for a restart. */
const processesRememberedPerNode = 4;

// A payload may hold integers beyond 64 bits (CBOR bignums, kept exact by the router): msgpackr's
// extension carries them between nodes, where plain MessagePack would throw and the message not leave.
const packr = new Packr({ useRecords: false, useBigIntExtension: true });

/**
 * Claims as one atomic step in Redis (see ClaimTable for the rule). KEYS: the policy, the set of
 * holders, this node's set of claimed keys, the cluster's claim counter. ARGV: node, policy,
 * claim key, and the ticket the node already holds for it ('' for none). Returns "ok:TICKET" or
 * the policy it is held under. A node claiming again with its ticket (Redis may have lost its
 * data) keeps that ticket and raises the counter to it, so that later claims order after it.
 */
const claimScript = `
local held = redis.call('GET', KEYS[1])
if held and (ARGV[2] == 'single' or held ~= ARGV[2]) and redis.call('SCARD', KEYS[2]) > 0 then return held end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
if ARGV[4] == '' then return 'ok:' .. redis.call('INCR', KEYS[4]) end
if tonumber(ARGV[4]) > tonumber(redis.call('GET', KEYS[4]) or '0') then redis.call('SET', KEYS[4], ARGV[4]) end
return 'ok:' .. ARGV[4]`;

/** KEYS: the policy, the holders, the node's claimed keys. ARGV: node, claim key. */
const releaseScript = `
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[2])
if redis.call('SCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end
return 1`;

/**
 * Every claim and seat of one node released in one atomic step (it died, left, or rejoins
 * clean): no claim from another node can fall between two of its keys. KEYS: the node's claimed
 * keys, its seats (RedisSeats). ARGV: node, the prefix of the policy and holder keys (see claimKeys).
 */
const dropNodeScript = `
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local holders = ARGV[2] .. 'claimers:' .. key
  redis.call('SREM', holders, ARGV[1])
  if redis.call('SCARD', holders) == 0 then redis.call('DEL', ARGV[2] .. 'claim:' .. key, holders) end
end
redis.call('DEL', KEYS[1])
${dropNodeSeats}
return 1`;

/**
 * A mesh link through Redis pub/sub, for nodes on several machines: one channel per node for
 * what is sent to it (publications go only to nodes with a matching subscription: the mesh
 * decides, the channel carries), one channel for what goes to all. A heartbeat on that channel
 * and a lease tell the living from the dead. While Redis is unreachable nothing queues: what
 * would cross is dropped and counted, local clients are served, and once Redis is back the node
 * announces itself again (the mesh's rejoin). The same holds for a node that starts while Redis
 * is away: it serves on its own and joins when Redis answers. While Redis is slow, what it has
 * not acknowledged is bounded (`maxPendingBytes`); past it, publications are dropped and counted too.
 *
 * A Redis that stays connected but does not answer (its process paused, a network black hole) is
 * noticed by the first command unanswered for the commands' timeout (`timeouts`); from then on
 * the node is degraded as if Redis were away (claims are not waited on: the node registers on its
 * own), and a PING each heartbeat asks whether it answers again. A claim that went unanswered is
 * refused (`unanswered`): whether Redis took it is unknown. When it answers, every
 * command sent before has run (one connection keeps order): the claims whose fate is unknown and
 * that this node does not hold are given back, then the node announces itself again. A connection
 * that stays silent past twice the timeout (half-open after a network fault: it never answers
 * again) is replaced (FencedConnection): the new one is used only once the old one is closed on
 * Redis, and then as when Redis answers again.
 *
 * The subscriber connection can stall alone (SubscriberEcho): then the node is degraded the same
 * way, drops that connection and makes a new one, and once it is subscribed again announces
 * itself again (`back`): the others answer with their state, and the calls in flight between
 * them end. What Redis sent this node meanwhile is lost (pub/sub keeps nothing).
 */
export class RedisLink implements MeshLink {
  /** Whether Redis is reachable now. */
  connected = false;
  /** Messages that could not be sent (Redis unreachable, or too much not yet acknowledged). */
  dropped = 0;
  /** Bytes published and not yet acknowledged by Redis. */
  pendingBytes = 0;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  /** Where Redis is, for logs: never a password. */
  private readonly where: string;
  private readonly prefix: string;
  private readonly nodeId: string;
  private readonly log: Logger;
  private readonly leaseMs: number;
  private readonly lastHeard = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly liveness: RedisLiveness;
  /** When both connections were last ready together (for RedisLiveness), while they are. */
  private connectedAt: number | undefined;
  private receive: ((message: MeshMessage, from: string) => void) | undefined;
  private rejoin: (() => void) | undefined;
  private everConnected = false;
  /** ready() gave up waiting: the node started on its own and must announce itself once Redis answers. */
  private startedAlone = false;
  private subscribed = false;
  /** Set while the pending bytes are past the bound: one warning per episode, not one per message. */
  private overflowing = false;
  private readonly maxPendingBytes: number;
  private metrics: BackplaneMetrics | undefined;
  private closed = false;
  /** This node's claims being freed with its goodbye (see send), for close to wait for. */
  private claimsDropped: Promise<void> | undefined;
  private readonly timeouts: RedisTimeouts;
  /** The commands connection: marked stalled by an unanswered command, replaced when silent past the bound. */
  private readonly connection: FencedConnection;
  /** Whether the subscriber connection still delivers this node's own heartbeats. */
  private readonly echo: SubscriberEcho;
  /** Since when the subscriber delivered none of the heartbeats Redis acknowledged (it is being replaced), while so. */
  private deafSince: number | undefined;
  /** This node's last heartbeat was answered: Redis answers it, so the others' silence means something. */
  private heartbeatAnswered = true;
  /** Keys this node holds a claim for (mirrors what the mesh holds: claimed and not released). */
  private readonly held = new Set<string>();
  /** A client registering in a loop while Redis is away must not flood the log: one line per interval, with the count. */
  private readonly aloneClaimWarnings = new WarningThrottle();
  /** Likewise for presence members admitted while Redis is away. */
  private readonly aloneSeatWarnings = new WarningThrottle();
  /** Keys whose last claim or release got no answer: given back, unless held, once Redis answers. */
  private readonly doubtful = new Set<string>();
  /** Seats of bounded groups (Pusher presence members) this node holds. */
  private readonly seats: RedisSeats;
  /** Nodes forgotten while Redis was away, their claims not freed; each with when it is freed unless heard from. */
  private readonly unfreed = new Map<string, number>();
  /** Tells this process's heartbeats from another's that has the same node name (a misconfiguration). */
  private readonly process = randomBytes(8).toString('hex');
  private readonly twinWarnings = new WarningThrottle();
  /** The processes heard under each other node's name (its heartbeats and hello), oldest first. */
  private readonly processes = new Map<string, string[]>();
  /**
   * Nodes whose whole state this node's mesh has: it heard their `state`, or their `hello` (a new
   * life, which starts with nothing). A node lost or gone must be met again.
   */
  private readonly acquainted = new Set<string>();
  /** Heartbeats heard from each node not acquainted since this node last asked all for their state (see strangerBeat). */
  private readonly strangerBeats = new Map<string, number>();
  /** The last command Redis refused to the node's user (ACL) on the subscriber connection or in a liveness check, and when. */
  private lastRefusal: RedisRefusal | undefined;
  /** Why the subscriber connection last failed (ioredis's message: never the password), for the start's warning. */
  private lastConnectError: string | undefined;

  constructor(options: RedisLinkOptions) {
    this.where = describeRedis(options.redis);
    this.prefix = options.prefix ?? clusterDefaults.prefix;
    this.nodeId = options.nodeId;
    this.log = options.log;
    this.leaseMs = options.leaseMs ?? clusterDefaults.leaseMs;
    this.maxPendingBytes = options.maxPendingBytes ?? clusterDefaults.maxPendingBytes;
    this.timeouts = options.timeouts ?? new RedisTimeouts(options.log, clusterDefaults.commandTimeoutMs);
    this.echo = new SubscriberEcho(this.timeouts.limitMs);
    this.connection = new FencedConnection({
      server: options.redis, role: 'backplane', name: namedConnection('backplane', this.nodeId, this.process),
      timeouts: this.timeouts, log: this.log, changed: () => this.changed(),
    });
    this.commands = this.connection.redis;
    this.subscriber = connectRedis(options.redis, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
    this.seats = new RedisSeats({
      redis: this.commands, nodeId: this.nodeId, key: (name) => this.channel(name),
      command: (name, run) => this.command(name, run), answering: () => this.connected, unchecked: () => this.seatedAlone(),
    });
    // Connection failures are reported through 'close'/'ready' below, once per change. A refused
    // SELECT (the URL's database) is only an 'error': ioredis then goes on in database 0.
    this.subscriber.on('error', (error: unknown) => {
      this.lastConnectError = error instanceof Error ? error.message : String(error);
      this.noteRefusal('connect', error);
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.changed();
    });
    // Subscribes at each connection: a subscribe sent while Redis was away (at start) fails for good.
    this.subscriber.on('ready', () => {
      this.echo.reset();
      this.subscriber.subscribe(this.channel('all'), this.channel(`node:${this.nodeId}`)).then(() => {
        this.subscribed = true;
        this.deafSince = undefined;
        this.changed();
      }, (error: unknown) => this.noteRefusal('subscribe', error));
    });
    this.subscriber.on('messageBuffer', (_channel: Buffer, data: Buffer) => this.arrived(data));
    const heartbeatMs = options.heartbeatMs ?? clusterDefaults.heartbeatMs;
    this.timer = setInterval(() => this.tick(), heartbeatMs);
    this.timer.unref();
    this.liveness = new RedisLiveness({
      redis: this.commands, channelOf: (node) => this.channel(`node:${node}`), connectedAt: () => this.connectedAt,
      peers: () => this.lastHeard, everyMs: options.livenessMs ?? clusterDefaults.livenessMs,
      gone: (node) => this.lose(node, 'Redis dropped its connections (its process died)'),
      failed: (error) => this.noteRefusal('pubsub_numsub', error),
    });
  }

  /**
   * Waits up to `timeoutMs` for Redis to answer, then frees what this node's name held before
   * (a node that rejoins under its name starts clean) and resolves true. If Redis does not answer
   * in time it resolves false: the node serves on its own (degraded) and joins when Redis answers.
   */
  async ready(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connected) {
      if (Date.now() > deadline) {
        this.startedAlone = true;
        const facts = { cluster_node: this.nodeId, timeoutMs, ...(this.lastConnectError === undefined ? {} : { redis_error: this.lastConnectError }) };
        // A wrong password looks like silence otherwise: ioredis keeps reconnecting.
        const refusedCredentials = this.lastConnectError !== undefined && isCredentialRefusal(this.lastConnectError);
        this.log.warn(facts, refusedCredentials
          ? `${this.where} refused this node's user name or password (cluster.redis): serving this node's clients only; joining the cluster when it accepts them`
          : `${this.where} did not answer: serving this node's clients only; joining the cluster when it answers`);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    try {
      await this.dropClaims(this.nodeId);
    } catch {
      // Unanswered: the node serves on its own; the drop, still queued first on the connection, runs before anything it sends later.
      return false;
    }
    return true;
  }

  instrument(metrics: BackplaneMetrics): void {
    this.metrics = metrics;
  }

  /** Why the node serves only its own clients now, or undefined: /health says degraded. */
  get degraded(): string | undefined {
    const refusal = latestRefusal(this.lastRefusal, this.connection.refusal);
    if (refusal !== undefined && Date.now() - refusal.at < this.leaseMs) {
      return `${this.where} refuses this node's Redis user the command ${refusal.command} (ACL): the other nodes may not hear this node, nor it them; give the user the permissions docs/cluster.md lists`;
    }
    if (this.connected) return undefined;
    if (this.connection.stalled) return `${this.where} does not answer (cluster.redis.command_timeout ${this.timeouts.limitMs} ms): serving this node's clients only`;
    if (this.deafSince !== undefined) {
      return `this node's subscriber connection to ${this.where} delivered none of its heartbeats within ${this.echo.limitMs} ms (cluster.redis.command_timeout): reconnecting it; serving this node's clients only`;
    }
    return `${this.where} is unreachable: serving this node's clients only`;
  }

  send(message: MeshMessage, to?: readonly string[]): void {
    if (this.closed) return;
    // Sent on the same connection before the goodbye, so Redis has freed them when the others hear it.
    if (message.k === 'gone' && this.connected) this.claimsDropped = this.dropClaims(this.nodeId).catch(() => {});
    // A hello or back asks every node for its state: the heartbeats heard before do not count towards a sync.
    if (message.k === 'hello' || message.k === 'back') this.strangerBeats.clear();
    const data = packr.pack((message.k === 'hello' ? { from: this.nodeId, message, process: this.process } : { from: this.nodeId, message }) satisfies Wire);
    if (to === undefined) this.publish('all', data, message.k);
    else for (const node of to) this.publish(`node:${node}`, data, message.k);
  }

  onMessage(receive: (message: MeshMessage, from: string) => void): void {
    this.receive = receive;
  }

  onReconnect(rejoin: () => void): void {
    this.rejoin = rejoin;
  }

  async claim(key: string, invoke: InvocationPolicy, ticket?: number): Promise<ClaimAnswer> {
    if (this.connection.stalled) return this.claimAlone(key, 'Redis does not answer');
    try {
      const answer = String(await this.command('claim', () => this.commands.eval(claimScript, 4, ...this.claimKeys(key, this.nodeId),
        this.channel('claim-tickets'), this.nodeId, invoke, key, ticket === undefined ? '' : String(ticket))));
      if (!answer.startsWith('ok:')) return { ok: false, heldAs: answer as InvocationPolicy };
      this.hold(key);
      return { ok: true, ticket: Number(answer.slice(3)) };
    } catch (error) {
      if (isCommandTimeout(error)) {
        this.doubtful.add(key);
        return { ok: false, unanswered: this.timeouts.explain('the claim of this procedure') };
      }
      return this.claimAlone(key, (error as Error).message);
    }
  }

  /**
   * Redis known to be away or silent: the node serves on its own, as for everything else, and
   * claims again what it holds when Redis answers (rejoin). Only a claim sent and left unanswered
   * is refused: whether Redis took it is unknown until it answers.
   */
  private claimAlone(key: string, why: string): ClaimAnswer {
    const claims = this.aloneClaimWarnings.record(performance.now());
    if (claims !== undefined) {
      this.log.warn({ key, why, claims },
        `procedure claim could not reach Redis; registered on this node only until Redis is back (claims: how many since the last such line, which comes at most every ${warningIntervalMs / 1000} s)`);
    }
    this.hold(key);
    return { ok: true };
  }

  seat(group: string, member: string, limit: number | undefined): Promise<boolean> {
    return this.seats.seat(group, member, limit);
  }

  unseat(group: string, member: string): void {
    this.seats.unseat(group, member);
  }

  private seatedAlone(): void {
    this.metrics?.seatsUnchecked.inc();
    const seats = this.aloneSeatWarnings.record(performance.now());
    if (seats !== undefined) {
      this.log.warn({ seats },
        `presence member admitted on this node's own count: Redis is away or did not answer, so max_presence_members may be passed across nodes until members leave (junction_backplane_seats_unchecked_total; seats: how many since the last such line, which comes at most every ${warningIntervalMs / 1000} s)`);
    }
  }

  async release(key: string): Promise<void> {
    this.held.delete(key);
    // Not waited on while Redis does not answer: given back once it does (settleDoubts).
    if (this.connection.stalled) return void this.doubtful.add(key);
    try {
      await this.command('release', () => this.commands.eval(releaseScript, 3, ...this.claimKeys(key, this.nodeId), this.nodeId, key));
    } catch {
      this.doubtful.add(key); // Redis unreachable or silent: given back once it answers
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.liveness.stop();
    if (this.connected) await lastWords(this.claimsDropped ?? this.dropClaims(this.nodeId));
    closeRedis(this.subscriber);
    this.connection.close();
  }

  /** Stops as a process that dies would: no goodbye, no claims freed; the others notice through the lease (tests). */
  vanish(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.liveness.stop();
    closeRedis(this.subscriber);
    this.connection.close();
  }

  private channel(name: string): string {
    return `${this.prefix}:${name}`;
  }

  private claimKeys(key: string, node: string): [string, string, string] {
    return [this.channel(`claim:${key}`), this.channel(`claimers:${key}`), this.channel(`claims-of:${node}`)];
  }

  /**
   * Past the bound only publications are dropped: announcements, call traffic and heartbeats are
   * few and small, and losing one would leave the other nodes' view of this one wrong until it
   * rejoins, where a lost publication is counted and stays lost.
   */
  private publish(name: string, data: Buffer, kind: string): Promise<unknown> | undefined {
    if (!this.connected) return void this.drop('unreachable');
    if (kind === 'pub' && this.pendingBytes + data.length > this.maxPendingBytes) {
      if (!this.overflowing) {
        this.overflowing = true;
        this.log.warn({ pendingBytes: this.pendingBytes, maxPendingBytes: this.maxPendingBytes },
          'Redis is not keeping up: dropping publications to other nodes until it has acknowledged what it has (cluster.redis.max_pending_bytes)');
      }
      return void this.drop('buffer_full');
    }
    this.pendingBytes += data.length;
    this.metrics?.redisPendingBytes.set(this.pendingBytes);
    this.metrics?.wireBytes('sent', kind, data.length);
    // What this turn sends to Redis (calls and their results in flight, publications) leaves in one
    // write: with a write each, the writes were half of a crossing call's CPU on both nodes, and
    // Redis read and answered each apart (bench/RESULTS.md, h/xcall). One connection keeps the order.
    corkForThisTurn(this.commands.stream);
    const sent = this.command(kind === 'beat' ? 'heartbeat' : 'publish', () => this.commands.publish(this.channel(name), data));
    sent.then(() => this.settled(data.length), () => {
      this.settled(data.length);
      this.drop('unreachable');
    });
    return sent;
  }

  /** Counts and logs a command Redis refused to the node's user; /health says so for a lease after the last one (heartbeats refused keep it so). */
  private noteRefusal(command: string, error: unknown): void {
    if (this.timeouts.refused('backplane', command, error)) this.lastRefusal = { command, at: Date.now() };
  }

  /** Runs one command on the commands connection (FencedConnection.command: a timeout marks it stalled, a refusal is reported). */
  private command<T>(name: string, run: () => Promise<T>): Promise<T> {
    return this.connection.command(name, run);
  }

  private hold(key: string): void {
    this.held.add(key);
    this.doubtful.delete(key);
  }

  /** Gives back the claims whose fate is unknown and that this node does not hold; sent before the node claims again what it holds. */
  private settleDoubts(): void {
    const doubts = [...this.doubtful];
    this.doubtful.clear(); // a release that fails again puts its key back
    for (const key of doubts) if (!this.held.has(key)) void this.release(key);
    this.seats.settleDoubts();
  }

  private settled(bytes: number): void {
    this.pendingBytes -= bytes;
    this.metrics?.redisPendingBytes.set(this.pendingBytes);
    if (this.overflowing && this.pendingBytes <= this.maxPendingBytes / 2) {
      this.overflowing = false;
      this.log.info({ pendingBytes: this.pendingBytes, dropped: this.dropped }, 'Redis caught up: publications to other nodes flow again');
    }
  }

  private drop(reason: BackplaneDropReason): void {
    this.dropped++;
    this.metrics?.dropped(reason);
  }

  private arrived(data: Buffer): void {
    this.echo.delivered();
    let wire: Wire;
    try {
      wire = packr.unpack(data) as Wire;
    } catch (error) {
      this.log.warn({ err: error }, 'unreadable message on the cluster channel ignored');
      return;
    }
    if (wire.from === this.nodeId) {
      if ('beat' in wire) {
        // A twin's beat is not this process's own coming back: it must not pass for the echo.
        if (wire.process !== undefined && wire.process !== this.process) this.twinHeard();
        else if (wire.n !== undefined) this.echo.heard(wire.n);
      }
      return;
    }
    this.unfreed.delete(wire.from);
    if (wire.process !== undefined) this.heardProcess(wire.from, wire.process, 'message' in wire && wire.message.k === 'hello');
    this.metrics?.wireBytes('received', 'message' in wire ? wire.message.k : 'beat', data.length);
    if (!('message' in wire)) this.strangerBeat(wire.from);
    // A node that said goodbye is not waited for: neither its lease nor RedisLiveness will report it again.
    if ('message' in wire && wire.message.k === 'gone') this.forgetAcquaintance(wire.from);
    else this.lastHeard.set(wire.from, Date.now());
    if (!('message' in wire) || !this.receive) return; // before the mesh is there, its hello is still to come
    if (wire.message.k === 'state' || wire.message.k === 'hello') {
      this.acquainted.add(wire.from);
      this.strangerBeats.delete(wire.from);
    }
    this.receive(wire.message, wire.from);
  }

  /**
   * A heartbeat of a node whose state this node lacks (lost past its lease, or one of the hellos
   * missed): at its second heartbeat since this node's hello or back it is asked for its state (a
   * sync; it asks this node the same way if need be), and again each second heartbeat until the
   * state comes. Not at the first: a node that has just joined, or just heard this one's hello, may
   * have sent that heartbeat before its answer to the hello, which is on the way (Redis keeps one
   * publisher's order), and the sync would have it send its whole state twice. A heartbeat before
   * this node's mesh is there is not counted: its hello follows.
   */
  private strangerBeat(node: string): void {
    if (!this.receive || this.acquainted.has(node)) return;
    const beats = (this.strangerBeats.get(node) ?? 0) + 1;
    if (beats < 2) return void this.strangerBeats.set(node, beats);
    this.strangerBeats.delete(node);
    this.send({ k: 'sync' }, [node]);
  }

  /**
   * A process not heard before under `node`'s name, other than the one it announced in a hello: the
   * node restarted before this node noticed it was gone, and its hello was lost (else that hello
   * would have said so). What its previous process had (sessions, subscriptions, registrations) is
   * forgotten now, not kept while the new one beats under the same name; its state is then asked
   * with a sync (strangerBeat). Its claims are not freed: the new process freed its name's at start
   * and holds its own now.
   */
  private heardProcess(node: string, process: string, announcedInHello: boolean): void {
    const heard = this.processes.get(node) ?? [];
    if (heard.includes(process)) return;
    if (heard.length > 0 && !announcedInHello && this.lastHeard.has(node)) {
      this.forgetAcquaintance(node);
      this.log.warn({ other_node: node }, `cluster node ${node} restarted (a new process under its name) before its lease ran out: forgetting its previous process's sessions, subscriptions and registrations`);
      this.receive?.({ k: 'gone' }, node);
    }
    this.processes.set(node, [...heard, process].slice(-processesRememberedPerNode));
  }

  /** The node left or is dead: its state is no longer known, nor waited for. */
  private forgetAcquaintance(node: string): void {
    this.lastHeard.delete(node);
    this.acquainted.delete(node);
    this.strangerBeats.delete(node);
    this.processes.delete(node);
  }

  /**
   * Connected means both connections are ready (the commands one fenced), the subscriber
   * subscribed to hear the answers and delivering them (not deaf), and Redis answering commands
   * (not stalled).
   */
  private changed(): void {
    const connected = this.connection.usable && this.subscriber.status === 'ready' && this.subscribed && this.deafSince === undefined;
    if (this.connected === connected || this.closed) return;
    this.connected = connected;
    this.connectedAt = connected ? Date.now() : undefined;
    if (!connected) {
      if (this.connection.stalled) {
        this.log.warn({ timeoutMs: this.timeouts.limitMs },
          `${this.where} did not answer within ${this.timeouts.limitMs} ms (cluster.redis.command_timeout): serving local clients only until it answers`);
      } else if (this.deafSince === undefined) { // a deaf subscriber is warned about by RedisTimeouts, throttled
        this.log.warn({}, 'lost the connection to Redis: serving local clients only until it is back');
      }
      return;
    }
    // Nodes forgotten meanwhile get a lease from now to be heard from; then their claims are freed.
    for (const node of this.unfreed.keys()) this.unfreed.set(node, Date.now() + this.leaseMs);
    if (!this.everConnected) {
      this.everConnected = true;
      this.log.info({ cluster_node: this.nodeId, redis: this.where }, 'joined the cluster');
      if (this.startedAlone) void this.joinLate();
      return;
    }
    this.log.info({ dropped: this.dropped }, 'Redis is back: announcing this node again');
    this.settleDoubts();
    this.rejoin?.();
  }

  /** Redis answered after the node started on its own: free what its name held before, then announce everything. */
  private async joinLate(): Promise<void> {
    await this.dropClaims(this.nodeId).catch(() => {});
    this.settleDoubts();
    this.rejoin?.();
  }

  /** Lets go of nodes whose lease ran out, and says this node is alive (or, while Redis is stalled, asks whether it answers). */
  private tick(): void {
    this.judge();
    if (this.closed) return;
    this.listen();
    if (this.connection.stalled) this.connection.tend();
    else this.beat();
  }

  /**
   * Checks that the subscriber delivers this node's heartbeats. Judged after this turn's input is
   * read (setImmediate): after the event loop was blocked, an echo may be waiting in the socket.
   * A new connection that does not get subscribed within the limit either is dropped again.
   */
  private listen(): void {
    const now = Date.now();
    if (this.deafSince !== undefined) {
      const stuck = this.subscriber.status === 'connect' || this.subscriber.status === 'ready';
      if (stuck && now - this.deafSince > this.echo.limitMs) this.replaceSubscriber(now);
      return;
    }
    if (!this.connected || this.echo.overdueMs(now) === undefined) return;
    setImmediate(() => {
      const waitedMs = this.echo.overdueMs(Date.now());
      if (waitedMs === undefined || this.deafSince !== undefined || this.closed) return;
      this.timeouts.deaf(waitedMs);
      this.replaceSubscriber(Date.now());
      this.changed();
    });
  }

  private replaceSubscriber(now: number): void {
    this.deafSince = now;
    this.subscribed = false;
    reconnectRedis(this.subscriber);
  }

  /** Lets go of nodes silent past their lease, and frees the claims of those forgotten while Redis was away. */
  private judge(): void {
    // While this node's last heartbeat waits for Redis, the others' silence says nothing: Redis may be
    // slow for all. Past the commands' timeout it is stalled, and silent nodes are let go as when it is away.
    if (this.connected && !this.heartbeatAnswered) return;
    const now = Date.now();
    for (const [node, heard] of this.lastHeard) {
      if (now - heard > this.leaseMs) this.lose(node, `silent past its lease (${this.leaseMs} ms)`);
    }
    if (!this.connected) return;
    for (const [node, deadline] of this.unfreed) {
      if (now < deadline) continue;
      this.unfreed.delete(node);
      this.dropClaims(node).catch(() => {});
    }
  }

  private beat(): void {
    const n = this.echo.number();
    const sent = this.publish('all', packr.pack({ from: this.nodeId, beat: true, process: this.process, n } satisfies Wire), 'beat');
    if (!sent) return;
    this.heartbeatAnswered = false;
    sent.then(() => {
      this.heartbeatAnswered = true;
      this.echo.acknowledged(n, Date.now());
    }, () => {});
  }

  /**
   * Another process beats as this node: both take what is sent to the name and drop what the other
   * sends as their own, so the cluster misroutes until one is renamed. Said loudly, never fixed here.
   */
  private twinHeard(): void {
    const heartbeats = this.twinWarnings.record(Date.now());
    if (heartbeats === undefined) return;
    this.log.error({ cluster_node: this.nodeId, heartbeats },
      `another process is cluster node "${this.nodeId}" on this Redis (prefix "${this.prefix}"): both take the messages sent to that name and ignore each other, so routing across the cluster goes wrong; give each node its own node_id (or leave it out: each process then draws a name of its own); said at most every ${warningIntervalMs / 1000} s`);
  }

  /** A node is dead: forget its sessions, subscriptions and registrations, and free its claims. */
  private lose(node: string, why: string): void {
    if (!this.lastHeard.has(node)) return;
    this.forgetAcquaintance(node);
    this.log.warn({ other_node: node }, `cluster node ${node} is gone, ${why}: forgetting its sessions, subscriptions and registrations`);
    // Sent first: a claim this node makes once the router heard `gone` reaches Redis after it (one connection keeps order).
    if (this.connected) this.dropClaims(node).catch(() => {});
    // Redis away or silent: freed once it answers, unless the node is heard from by then (it was alive, cut off like this one).
    else this.unfreed.set(node, Infinity);
    this.receive?.({ k: 'gone' }, node);
  }

  /** Frees every claim a node holds (it died, left, or rejoins clean). Idempotent: several nodes may do it at once. */
  private async dropClaims(node: string): Promise<void> {
    await this.command('drop_claims', () => this.commands.eval(dropNodeScript, 2, this.channel(`claims-of:${node}`), this.seats.seatsOf(node), node, this.channel('')));
  }
}
