#!/usr/bin/env node
// One process vs `junction start --workers 2` vs two nodes through Redis, side by side in one run:
//   fan-out:     S subscribers spread over the nodes, one publisher sending E events (at most W
//                unacknowledged in flight), events delivered per second counted at the subscribers,
//                server CPU per delivery summed over every router process;
//   publication: P publications to one subscriber on the publisher's node, then on the other node:
//                the difference in server CPU per publication is the backplane's cost (Redis's own
//                CPU and INFO commandstats included for the Redis run);
//   calls:       C sequential calls, caller and callee on the same node and on different nodes,
//                latency p50/p99 and server CPU per call; then the same with N calls in flight
//                (calls/s besides), bounded in count and time. For Redis, the commands Redis ran
//                per call (INFO commandstats), by command. Every call step also counts the
//                routers' and Redis's read and write system calls and event-loop wake-ups per call.
//   hop floor:   a bare Node echo process and Redis (PING), one message at a time: the machine's
//                cost of one wake-up with one read and one write, to set the calls against.
// Server CPU is read from /proc for the router processes (parent and workers summed) and redis-server.
// With --lean-subscribers the fan-out's subscribers are lean (clients/lean-subscriber.mjs: bulk
// reads, sequence numbers scanned, each one's events checked for loss, duplicates and order),
// so the load generator (this process) costs a small share of the routers; its CPU and the
// machine's idle cores are reported beside the servers'.
// --only picks steps (names in `steps` below, comma-separated) and --deployments the deployments
// (one, workers, redis); --baseline DIR runs each deployment from DIR (a built tree) too, right
// after this tree's, for before/after in one run; --cpu-prof DIR writes the routers' CPU profiles
// there (node --cpu-prof, one directory per deployment).
// Usage: npm run build && node bench/cluster.mjs [--subscribers 200] [--events 20000] [--publications 5000] [--calls 2000] [--lean-subscribers]
//          [--in-flight 16] [--in-flight-calls 20000] [--in-flight-seconds 10] [--only call-other,calls-in-flight-other] [--deployments redis] [--baseline DIR] [--cpu-prof DIR]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { connectLeanWamp } from './clients/lean-subscriber.mjs';
import { machineIdleSeconds, processTree } from './lib/cpu.mjs';
import { withTimeout } from './lib/clock.mjs';
import { SequenceCheck } from './lib/sequence-check.mjs';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '200' },
    events: { type: 'string', default: '20000' },
    window: { type: 'string', default: '200' },
    calls: { type: 'string', default: '2000' },
    publications: { type: 'string', default: '5000' },
    'lean-subscribers': { type: 'boolean', default: false },
    'in-flight': { type: 'string', default: '16' },
    'in-flight-calls': { type: 'string', default: '20000' },
    'in-flight-seconds': { type: 'string', default: '10' },
    only: { type: 'string' },
    deployments: { type: 'string', default: 'one,workers,redis' },
    baseline: { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
});
const lean = values['lean-subscribers'];
const publications = Number(values.publications);
const subscribers = Number(values.subscribers);
const events = Number(values.events);
const window = Number(values.window);
const calls = Number(values.calls);
const inFlight = Number(values['in-flight']);
const inFlightCalls = Number(values['in-flight-calls']);
const inFlightSeconds = Number(values['in-flight-seconds']);
const only = values.only?.split(',');
const bins = [{ label: '', bin: new URL('../bin/junction.js', import.meta.url).pathname }];
if (values.baseline) bins.push({ label: ' (baseline)', bin: join(values.baseline, 'bin/junction.js') });
const profiles = values['cpu-prof'];
const clockTicks = 100; // USER_HZ on Linux
/**
 * How long a deployment may take to serve. Each router process loads its modules on start: under
 * a load of 15 to 20 on 2 cores (other benches and test runs) --workers 2 was seen to need more
 * than 20 s, and the bench then went on with one worker known or failed with "did not start".
 */
const startMs = 60_000;
/** How many connections `node(i)` makes under --workers before it gives up on worker i. */
const landingAttempts = 200;

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A config file like the embedded default's WebSocket and /health, with no publish rate limit
 * (the bench's one publisher sends faster than a client may by default); `cluster` when given.
 */
function writeConfig(dir, cluster) {
  const file = join(dir, cluster ? 'redis.json' : 'config.json');
  writeFileSync(file, JSON.stringify({
    version: 2,
    workers: [{
      type: 'router',
      realms: [{
        name: 'realm1', roles: [{ name: 'anonymous', 'allow-by-default': true }],
        options: { limits: { publish_rate: { per_second: 0, burst: 0 } } },
      }],
      transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' }, health: { type: 'health' } } }],
      ...(cluster ? { cluster } : {}),
    }],
  }));
  return file;
}

const dir = mkdtempSync(join(tmpdir(), 'junction-bench-'));

/**
 * A router process's command line: with --cpu-prof, node writes its CPU profile at exit (NODE_OPTIONS
 * may not carry the flag; workers are forked with their parent's execArgv, so they write theirs too).
 */
function routerArgs(name, bin, args) {
  const profile = profiles ? ['--cpu-prof', `--cpu-prof-dir=${join(profiles, name.replace(/[^\w.-]+/g, '-'))}`] : [];
  return [...profile, bin, ...args];
}

/** Resolves once something answers on /health of this port (bounded). */
async function serving(port, deadline) {
  for (;;) {
    if (Date.now() > deadline) throw new Error(`junction on ${port} did not start`);
    if (await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A deployment under test: `node(i)` opens a client on node i (for --workers: connects until the
 * parent hands one to that worker), `pids()` are the server processes whose CPU is counted.
 */
async function startWorkers(workers, { label, bin }) {
  const name = `${workers === 1 ? 'one process' : `--workers ${workers}`}${label}`;
  const port = await freePort();
  const child = spawn(process.execPath, routerArgs(name, bin, ['start', '--config', writeConfig(dir), '--port', String(port), '--workers', String(workers), '--log-level', 'warn']),
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
  const started = Date.now();
  const deadline = started + startMs;
  // Wait until as many distinct nodes answer as there are workers (each answers once it serves).
  const names = new Set();
  try {
    await serving(port, deadline);
    while (names.size < workers && Date.now() < deadline) {
      // Bounded: a connection made while the workers start has been seen to stay unanswered.
      const client = await withTimeout(connect(port), 5_000, 'a join').catch(() => undefined);
      if (!client) continue;
      names.add(client.node);
      await closeClients([client]);
    }
    if (names.size < workers) throw new Error(`only ${[...names].join(', ') || 'no worker'} of ${workers} answered within ${startMs} ms`);
  } catch (error) {
    await stop();
    throw error;
  }
  process.stderr.write(`--workers ${workers}: every worker answered after ${Date.now() - started} ms\n`);
  const order = [...names].sort();
  return {
    name,
    nodes: workers,
    spreadPort: () => port,
    node: async (index) => {
      // The parent hands a connection to the worker with the fewest open ones (docs/cluster.md):
      // one closed at once leaves that count as it was, so while worker `index` has more open
      // than another (a previous step's closing ones) every retry would land on the other. Held
      // until one lands here, the misrouted ones make the others busier: it takes at most the
      // difference, plus one for a tie.
      const misrouted = [];
      try {
        for (let attempt = 0; attempt < landingAttempts; attempt++) {
          const client = await connect(port);
          if (client.node === order[index]) {
            if (misrouted.length > 0) process.stderr.write(`  ${misrouted.length} connection(s) landed on another worker before one on ${order[index]}\n`);
            return client;
          }
          misrouted.push(client);
        }
      } finally {
        await closeClients(misrouted);
      }
      throw new Error(`no connection landed on ${order[index]} in ${landingAttempts} (the others held open meanwhile)`);
    },
    pids: () => processTree(child.pid),
    stop,
  };
}

/** redis-server (no persistence) and two single-process nodes in one cluster through it. */
async function startRedisPair({ label, bin }) {
  const name = `two nodes through Redis${label}`;
  const redisPort = await freePort();
  const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const config = writeConfig(dir, { redis: { url: `redis://127.0.0.1:${redisPort}/0` } });
  const redis = new Redis(`redis://127.0.0.1:${redisPort}/0`, { retryStrategy: () => 50 });
  redis.on('error', () => {}); // refused until redis-server listens: ioredis retries
  await redis.ping();
  const ports = [await freePort(), await freePort()];
  const children = ports.map((port) => spawn(process.execPath, routerArgs(name, bin, ['start', '--config', config, '--port', String(port), '--log-level', 'warn']),
    { stdio: ['ignore', 'pipe', 'inherit'] }));
  const stop = async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
    redis.disconnect();
    redisServer.kill('SIGKILL');
  };
  const deadline = Date.now() + startMs;
  try {
    for (const port of ports) await serving(port, deadline);
  } catch (error) {
    await stop();
    throw error;
  }
  let turn = 0;
  return {
    name,
    nodes: 2,
    redis,
    spreadPort: () => ports[turn++ % 2],
    node: (index) => connect(ports[index]),
    pids: () => [...children.flatMap((child) => processTree(child.pid)), redisServer.pid],
    redisPid: redisServer.pid,
    stop,
  };
}

function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // exited
    }
  }
  return ticks / clockTicks;
}

/**
 * System calls and wake-ups of these processes so far, which CPU noise does not move: read and
 * write calls (/proc/PID/io syscr, syscw: writev counts once) and the main thread's voluntary
 * context switches (each one a sleep in epoll_wait, so one wake-up of the event loop, /proc/PID/status).
 */
function kernelCounters(pids) {
  const total = { reads: 0, writes: 0, wakeups: 0 };
  for (const pid of pids) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      total.reads += Number(/^syscr: (\d+)/m.exec(io)[1]);
      total.writes += Number(/^syscw: (\d+)/m.exec(io)[1]);
      total.wakeups += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    } catch {
      // exited
    }
  }
  return total;
}

/** kernelCounters' change since `before`, per operation. */
function kernelCountersPer(pids, before, operations) {
  const after = kernelCounters(pids);
  return Object.fromEntries(Object.keys(after).map((key) => [key, Number(((after[key] - before[key]) / operations).toFixed(2))]));
}

/**
 * Closes raw and lean clients and resolves once every connection has ended (bounded): a step's
 * closes then neither fall into the next step's CPU window nor count as open when it picks its
 * worker.
 */
async function closeClients(clients) {
  const ended = clients.map((client) => {
    if (!client.ws) {
      client.close();
      return client.ended;
    }
    const closed = new Promise((resolve) => client.ws.once('close', resolve));
    client.ws.close();
    return closed;
  });
  await withTimeout(Promise.all(ended), 10_000, `closing ${clients.length} connections`);
}

/** A raw WAMP JSON client: enough for HELLO, SUBSCRIBE, PUBLISH, REGISTER, CALL, YIELD. */
function connect(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'wamp.2.json');
    const client = { ws, node: undefined, onMessage: () => {}, request: 0 };
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify([1, 'realm1', { roles: { subscriber: {}, publisher: {}, caller: {}, callee: {} } }])));
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message[0] === 2) {
        client.node = message[2].x_junction_node ?? 'single';
        resolve(client);
        return;
      }
      client.onMessage(message);
    });
  });
}

function request(client, message, replyType) {
  return new Promise((resolve) => {
    const id = ++client.request;
    const previous = client.onMessage;
    client.onMessage = (reply) => {
      if (reply[0] === replyType && reply[1] === id) {
        client.onMessage = previous;
        resolve(reply);
      } else if (reply[0] === 8 && reply[2] === id) {
        client.onMessage = previous;
        resolve(undefined); // an ERROR: the caller decides whether to try again
      } else previous(reply);
    };
    message[1] = id;
    client.ws.send(JSON.stringify(message));
  });
}

/** Sends `count` acknowledged publications with at most `window` unanswered; resolves when all are acknowledged. */
function publishWindowed(publisher, count, payload) {
  let sent = 0;
  return new Promise((resolve) => {
    let inFlight = 0;
    publisher.onMessage = (message) => {
      if (message[0] === 8 && message[1] === 16) throw new Error(`a publication was refused: ${JSON.stringify(message)}`);
      if (message[0] !== 17) return;
      inFlight--;
      pump();
    };
    const pump = () => {
      while (inFlight < window && sent < count) {
        // Numbered from 1: lean subscribers check each one's sequence (lib/sequence-check.mjs).
        publisher.ws.send(JSON.stringify([16, ++publisher.request, { acknowledge: true }, 'bench.fan', [++sent, payload]]));
        inFlight++;
      }
      if (sent === count && inFlight === 0) resolve();
    };
    pump();
  });
}

/** Subscribes each client to bench.fan and publishes markers until every one has one (interest crosses nodes asynchronously). */
async function subscribeAll(clients, publisher) {
  const counts = { received: 0 };
  for (const client of clients) {
    client.onMessage = (message) => {
      if (message[0] === 36) counts.received++;
    };
    await request(client, [32, 0, {}, 'bench.fan'], 33);
  }
  const deadline = Date.now() + 30_000;
  while (counts.received < clients.length) {
    if (Date.now() > deadline) throw new Error('the subscriptions never all reached the publisher\'s node');
    counts.received = 0;
    publisher.ws.send(JSON.stringify([16, ++publisher.request, {}, 'bench.fan', ['warm']]));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  counts.received = 0;
  return counts;
}

async function untilDelivered(counts, expected) {
  const deadline = Date.now() + 60_000;
  while (counts.received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * Lean subscribers (clients/lean-subscriber.mjs) on the deployment's spread, subscribed to
 * bench.fan, each checking its events' sequence; resolves once a marker publication has reached
 * every one of them (interest crosses nodes asynchronously). `counts.faults(expected)` sums
 * what they lost, saw twice or out of order.
 */
async function subscribeLean(deployment, publisher) {
  const counts = { received: 0, markers: 0 };
  const clients = [];
  for (let i = 0; i < subscribers; i++) {
    const client = await connectLeanWamp({ url: `ws://127.0.0.1:${deployment.spreadPort()}/ws` });
    client.check = new SequenceCheck();
    // A marker ('warm') has no sequence number: it is parsed in full and counted apart.
    await client.subscribe('bench.fan', (seq) => {
      if (typeof seq !== 'number') counts.markers++;
      else {
        client.check.see(seq);
        counts.received++;
      }
    });
    clients.push(client);
  }
  const deadline = Date.now() + 30_000;
  while (counts.markers < clients.length) {
    if (Date.now() > deadline) throw new Error('the subscriptions never all reached the publisher\'s node');
    counts.markers = 0;
    publisher.ws.send(JSON.stringify([16, ++publisher.request, {}, 'bench.fan', ['warm']]));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  counts.faults = (expected) => {
    const total = { missing: 0, reordered: 0, duplicates: 0 };
    for (const client of clients) {
      const faults = client.check.faults(expected);
      for (const key of Object.keys(total)) total[key] += faults[key];
      total.duplicates += client.unexpectedEvents;
    }
    return total;
  };
  return { clients, counts };
}

async function rawSubscribers(deployment, publisher) {
  const clients = [];
  for (let i = 0; i < subscribers; i++) clients.push(await connect(deployment.spreadPort()));
  return { clients, counts: await subscribeAll(clients, publisher) };
}

async function fanOut(deployment) {
  const publisher = await deployment.node(0);
  const { clients, counts } = await (lean ? subscribeLean : rawSubscribers)(deployment, publisher);
  const cpuBefore = cpuSeconds(deployment.pids());
  const clientBefore = process.cpuUsage();
  const idleBefore = machineIdleSeconds();
  const started = performance.now();
  await publishWindowed(publisher, events, 'x'.repeat(64));
  const expected = events * subscribers;
  await untilDelivered(counts, expected);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(deployment.pids()) - cpuBefore;
  const client = process.cpuUsage(clientBefore);
  const idle = machineIdleSeconds() - idleBefore;
  const nodes = new Map();
  for (const each of clients) nodes.set(each.node, (nodes.get(each.node) ?? 0) + 1);
  await closeClients([...clients, publisher]);
  return {
    subscribers: lean ? 'lean' : 'full', deliveriesPerSecond: Math.round(counts.received / seconds), delivered: counts.received, expected,
    ...(counts.faults ? counts.faults(events) : {}),
    serverCpuMicrosPerDelivery: Number(((cpu * 1e6) / counts.received).toFixed(2)),
    serverCores: Number((cpu / seconds).toFixed(2)),
    // This process: the publisher, the subscribers and the bench's own bookkeeping.
    clientCores: Number(((client.user + client.system) / 1e6 / seconds).toFixed(2)),
    clientCpuMicrosPerDelivery: Number(((client.user + client.system) / counts.received).toFixed(2)),
    idleCores: Number((idle / seconds).toFixed(2)),
    spread: Object.fromEntries(nodes),
  };
}

/**
 * Redis's own counters: CPU seconds, PUBLISH calls and microseconds (INFO cpu, INFO commandstats),
 * and the calls of every command (`commands`; INFO itself left out: the bench sends it).
 */
async function redisCounters(redis) {
  const info = (await redis.info('cpu')) + (await redis.info('commandstats'));
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  const publish = /^cmdstat_publish:calls=(\d+),usec=(\d+)/m.exec(info);
  const commands = {};
  for (const [, command, count] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (command !== 'info') commands[command] = Number(count);
  return { cpu: field('used_cpu_user') + field('used_cpu_sys'), publishCalls: Number(publish?.[1] ?? 0), publishMicros: Number(publish?.[2] ?? 0), commands };
}

/** Redis commands run between two readings of redisCounters, per operation, by command (and in all). */
function redisCommandsPer(before, after, operations) {
  const per = {};
  let total = 0;
  for (const [command, count] of Object.entries(after.commands)) {
    const delta = count - (before.commands[command] ?? 0);
    if (delta === 0) continue;
    per[command] = Number((delta / operations).toFixed(3));
    total += delta;
  }
  return { all: Number((total / operations).toFixed(3)), ...per };
}

/** P publications from node 0 to one subscriber on node `subscriberNode`: server CPU per publication. */
async function publicationCost(deployment, subscriberNode) {
  const subscriber = await deployment.node(subscriberNode);
  const publisher = await deployment.node(0);
  const counts = await subscribeAll([subscriber], publisher);
  const redisBefore = deployment.redis ? await redisCounters(deployment.redis) : undefined;
  const cpuBefore = cpuSeconds(deployment.pids());
  await publishWindowed(publisher, publications, 'x'.repeat(64));
  await untilDelivered(counts, publications);
  const cpu = cpuSeconds(deployment.pids()) - cpuBefore;
  const result = { delivered: counts.received, serverCpuMicrosPerPublication: Number(((cpu * 1e6) / publications).toFixed(2)) };
  if (redisBefore) {
    const after = await redisCounters(deployment.redis);
    const calls = after.publishCalls - redisBefore.publishCalls;
    Object.assign(result, {
      redisCpuMicrosPerPublication: Number((((after.cpu - redisBefore.cpu) * 1e6) / publications).toFixed(2)),
      redisPublishCallsPerPublication: Number((calls / publications).toFixed(2)),
      redisMicrosPerPublishCall: Number(((after.publishMicros - redisBefore.publishMicros) / Math.max(calls, 1)).toFixed(2)),
    });
  }
  await closeClients([subscriber, publisher]);
  return result;
}

/**
 * An echo callee on node 0 and a caller on node `callerNode` that has seen its first call answered
 * (the registration travels to the other node asynchronously).
 */
async function echoPair(deployment, callerNode) {
  const callee = await deployment.node(0);
  callee.onMessage = (message) => {
    if (message[0] === 68) callee.ws.send(JSON.stringify([70, message[1], {}, message[4]]));
  };
  // The previous step's callee left just now: its registration's release may still be on its way.
  for (let attempt = 0; !(await request(callee, [64, 0, {}, 'bench.echo'], 65)); attempt++) {
    if (attempt === 100) throw new Error('bench.echo could not be registered');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const caller = await deployment.node(callerNode);
  for (let attempt = 0; ; attempt++) {
    if (attempt === 200) throw new Error('the registration never reached the caller\'s node');
    const reply = await request(caller, [48, 0, {}, 'bench.echo', [0]], 50);
    if (reply) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { callee, caller };
}

/**
 * Runs `measure(caller)` between an echo pair's setup and teardown, reading server CPU (and Redis's
 * counters) around it: latency p50/p99 from the samples it returns, and server CPU per call.
 */
async function measureCalls(deployment, callerNode, measure) {
  const { callee, caller } = await echoPair(deployment, callerNode);
  const redisBefore = deployment.redis ? await redisCounters(deployment.redis) : undefined;
  const routers = deployment.pids().filter((pid) => pid !== deployment.redisPid);
  const kernelBefore = [kernelCounters(routers), deployment.redisPid && kernelCounters([deployment.redisPid])];
  const cpuBefore = cpuSeconds(deployment.pids());
  const started = performance.now();
  const samples = await measure(caller);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(deployment.pids()) - cpuBefore;
  const routerKernel = kernelCountersPer(routers, kernelBefore[0], samples.length);
  const redisKernel = deployment.redisPid && kernelCountersPer([deployment.redisPid], kernelBefore[1], samples.length);
  const redisAfter = redisBefore && await redisCounters(deployment.redis);
  samples.sort((a, b) => a - b);
  await closeClients([callee, caller]);
  const at = (q) => Number(samples[Math.floor(q * (samples.length - 1))].toFixed(3));
  return {
    calls: samples.length, callsPerSecond: Math.round(samples.length / seconds), p50ms: at(0.5), p99ms: at(0.99),
    serverCpuMicrosPerCall: Number(((cpu * 1e6) / samples.length).toFixed(2)),
    // The routers' (every process) system calls and event-loop wake-ups per call, and Redis's.
    routerKernelPerCall: routerKernel,
    ...(redisKernel ? { redisKernelPerCall: redisKernel } : {}),
    ...(redisBefore ? {
      redisCpuMicrosPerCall: Number((((redisAfter.cpu - redisBefore.cpu) * 1e6) / samples.length).toFixed(2)),
      redisCommandsPerCall: redisCommandsPer(redisBefore, redisAfter, samples.length),
    } : {}),
  };
}

/** C sequential calls from node `callerNode` to an echo callee on node 0: latency and server CPU per call. */
function callCost(deployment, callerNode) {
  return measureCalls(deployment, callerNode, async (caller) => {
    const samples = [];
    for (let i = 0; i < calls; i++) {
      const started = performance.now();
      const reply = await request(caller, [48, 0, {}, 'bench.echo', [i]], 50);
      if (!reply) throw new Error(`call ${i} failed`);
      samples.push(performance.now() - started);
    }
    return samples;
  });
}

/**
 * Calls from node `callerNode` to the echo callee on node 0 with `inFlight` unanswered at all
 * times, until `inFlightCalls` are answered or `inFlightSeconds` pass: calls/s, latency and server CPU per call.
 */
function concurrentCallCost(deployment, callerNode) {
  return measureCalls(deployment, callerNode, (caller) => new Promise((resolve, reject) => {
    const samples = [];
    const sentAt = new Map();
    const deadline = performance.now() + inFlightSeconds * 1000;
    let stopping = false;
    const pump = () => {
      while (!stopping && sentAt.size < inFlight && samples.length + sentAt.size < inFlightCalls) {
        const id = ++caller.request;
        sentAt.set(id, performance.now());
        caller.ws.send(JSON.stringify([48, id, {}, 'bench.echo', [id]]));
      }
      if (sentAt.size === 0) resolve(samples);
    };
    caller.onMessage = (message) => {
      if (message[0] === 8) return reject(new Error(`a call failed: ${JSON.stringify(message)}`));
      if (message[0] !== 50) return;
      const started = sentAt.get(message[1]);
      if (started === undefined) return reject(new Error(`a result for an unknown request: ${JSON.stringify(message)}`));
      sentAt.delete(message[1]);
      const answered = performance.now();
      samples.push(answered - started);
      if (answered > deadline) stopping = true;
      pump();
    };
    pump();
  }));
}

/**
 * The machine's floor for one hop: a bare Node process that echoes 100-byte messages on a loopback
 * TCP connection, one at a time (so each costs it one wake-up, one read and one write), and the
 * same for Redis (sequential PINGs). A call's cost over its hops' count is set against this.
 */
async function hopFloor(deployment) {
  const echo = spawn(process.execPath, ['-e', `
    const server = require('node:net').createServer((socket) => socket.on('data', (data) => socket.write(data)));
    server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = Number(await new Promise((resolve) => echo.stdout.once('data', resolve)));
    const socket = (await import('node:net')).connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((resolve) => socket.once('connect', resolve));
    const message = Buffer.alloc(100, 'x');
    const hops = calls;
    const before = [cpuSeconds([echo.pid]), kernelCounters([echo.pid])];
    for (let i = 0; i < hops; i++) {
      socket.write(message);
      // Waits for the whole echo (it may come in pieces).
      for (let received = 0; received < message.length;) received += (await new Promise((resolve) => socket.once('data', resolve))).length;
    }
    const node = {
      cpuMicrosPerHop: Number((((cpuSeconds([echo.pid]) - before[0]) * 1e6) / hops).toFixed(2)),
      kernelPerHop: kernelCountersPer([echo.pid], before[1], hops),
    };
    socket.destroy();
    if (!deployment.redis) return { node };
    const redisBefore = [cpuSeconds([deployment.redisPid]), kernelCounters([deployment.redisPid])];
    for (let i = 0; i < hops; i++) await deployment.redis.ping();
    return {
      node,
      redis: {
        cpuMicrosPerHop: Number((((cpuSeconds([deployment.redisPid]) - redisBefore[0]) * 1e6) / hops).toFixed(2)),
        kernelPerHop: kernelCountersPer([deployment.redisPid], redisBefore[1], hops),
      },
    };
  } finally {
    echo.kill();
  }
}

/** Every step, by name, in the order run; `crossing` steps need two nodes. */
const steps = [
  { name: 'hop-floor', what: 'one hop\'s floor (a bare echo process, Redis PING)', run: (deployment) => hopFloor(deployment) },
  { name: 'fanout', what: 'fan-out', run: (deployment) => fanOut(deployment) },
  { name: 'publication-same', what: 'publications, same node', run: (deployment) => publicationCost(deployment, 0) },
  { name: 'call-same', what: 'calls, same node', run: (deployment) => callCost(deployment, 0) },
  { name: 'calls-in-flight-same', what: 'calls in flight, same node', run: (deployment) => concurrentCallCost(deployment, 0) },
  { name: 'publication-other', what: 'publications, other node', crossing: true, run: (deployment) => publicationCost(deployment, 1) },
  { name: 'call-other', what: 'calls, other node', crossing: true, run: (deployment) => callCost(deployment, 1) },
  { name: 'calls-in-flight-other', what: 'calls in flight, other node', crossing: true, run: (deployment) => concurrentCallCost(deployment, 1) },
];
const resultKeys = {
  'hop-floor': 'hopFloor',
  fanout: 'fanOut', 'publication-same': 'publicationSameNode', 'call-same': 'callSameNode', 'calls-in-flight-same': 'callsInFlightSameNode',
  'publication-other': 'publicationOtherNode', 'call-other': 'callOtherNode', 'calls-in-flight-other': 'callsInFlightOtherNode',
};
for (const name of only ?? []) if (!resultKeys[name]) throw new Error(`--only: no step "${name}" (steps: ${Object.keys(resultKeys).join(', ')})`);

/** The difference between crossing and same-node costs, where both were measured. */
function backplaneCosts(result) {
  const difference = (other, same, field) => (result[other] && result[same]
    ? Number((result[other][field] - result[same][field]).toFixed(2)) : undefined);
  return {
    backplaneCpuMicrosPerPublication: difference('publicationOtherNode', 'publicationSameNode', 'serverCpuMicrosPerPublication'),
    backplaneCpuMicrosPerCall: difference('callOtherNode', 'callSameNode', 'serverCpuMicrosPerCall'),
    backplaneCpuMicrosPerCallInFlight: difference('callsInFlightOtherNode', 'callsInFlightSameNode', 'serverCpuMicrosPerCall'),
  };
}

const loadAtStart = loadavg().map((load) => Number(load.toFixed(2)));
const results = {};
const starts = { one: (bin) => startWorkers(1, bin), workers: (bin) => startWorkers(2, bin), redis: startRedisPair };
for (const kind of values.deployments.split(',')) {
  if (!starts[kind]) throw new Error(`--deployments: no deployment "${kind}" (one, workers, redis)`);
  // This tree's deployment, then the baseline's, so that the two are measured close in time.
  for (const bin of bins) {
    const deployment = await starts[kind](bin);
    try {
      const result = {};
      for (const step of steps) {
        if ((only && !only.includes(step.name)) || (step.crossing && deployment.nodes < 2)) continue;
        process.stderr.write(`${deployment.name}: ${step.what}...\n`);
        result[resultKeys[step.name]] = await step.run(deployment);
      }
      for (const [key, value] of Object.entries(backplaneCosts(result))) if (value !== undefined) result[key] = value;
      results[deployment.name] = result;
    } finally {
      // A failed step must not leave the routers (and Redis) running after the script ends.
      await deployment.stop();
    }
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  subscribers, events, window, publications, calls, inFlight, inFlightCalls, inFlightSeconds, nproc: (await import('node:os')).availableParallelism(),
  loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((load) => Number(load.toFixed(2))) }, results,
}, null, 2));
