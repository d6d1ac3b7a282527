#!/usr/bin/env node
// One process vs `junction start --workers 2` vs two nodes through Redis, side by side in one run:
//   fan-out:     S subscribers spread over the nodes, one publisher sending E events (at most W
//                unacknowledged in flight), events delivered per second counted at the subscribers,
//                server CPU per delivery summed over every router process;
//   publication: P publications to one subscriber on the publisher's node, then on the other node:
//                the difference in server CPU per publication is the backplane's cost (Redis's own
//                CPU and INFO commandstats included for the Redis run);
//   calls:       C sequential calls, caller and callee on the same node and on different nodes,
//                latency p50/p99 and server CPU per call.
// Server CPU is read from /proc for the router processes (parent and workers summed) and redis-server.
// With --lean-subscribers the fan-out's subscribers are lean (clients/lean-subscriber.mjs: bulk
// reads, sequence numbers scanned, each one's events checked for loss, duplicates and order),
// so the load generator (this process) costs a small share of the routers; its CPU and the
// machine's idle cores are reported beside the servers'.
// Usage: npm run build && node bench/cluster.mjs [--subscribers 200] [--events 20000] [--publications 5000] [--calls 2000] [--lean-subscribers]
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
  },
});
const lean = values['lean-subscribers'];
const publications = Number(values.publications);
const subscribers = Number(values.subscribers);
const events = Number(values.events);
const window = Number(values.window);
const calls = Number(values.calls);
const bin = new URL('../bin/junction.js', import.meta.url).pathname;
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
async function startWorkers(workers) {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'start', '--config', writeConfig(dir), '--port', String(port), '--workers', String(workers), '--log-level', 'warn'],
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
    name: workers === 1 ? 'one process' : `--workers ${workers}`,
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
async function startRedisPair() {
  const redisPort = await freePort();
  const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const config = writeConfig(dir, { redis: { url: `redis://127.0.0.1:${redisPort}/0` } });
  const redis = new Redis(`redis://127.0.0.1:${redisPort}/0`, { retryStrategy: () => 50 });
  redis.on('error', () => {}); // refused until redis-server listens: ioredis retries
  await redis.ping();
  const ports = [await freePort(), await freePort()];
  const children = ports.map((port) => spawn(process.execPath, [bin, 'start', '--config', config, '--port', String(port), '--log-level', 'warn'],
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
    name: 'two nodes through Redis',
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

/** Redis's own counters: CPU seconds and PUBLISH calls and microseconds (INFO cpu, INFO commandstats). */
async function redisCounters(redis) {
  const info = (await redis.info('cpu')) + (await redis.info('commandstats'));
  const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  const publish = /^cmdstat_publish:calls=(\d+),usec=(\d+)/m.exec(info);
  return { cpu: field('used_cpu_user') + field('used_cpu_sys'), publishCalls: Number(publish?.[1] ?? 0), publishMicros: Number(publish?.[2] ?? 0) };
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

/** C sequential calls from node `callerNode` to an echo callee on node 0: latency and server CPU per call. */
async function callCost(deployment, callerNode) {
  const callee = await deployment.node(0);
  callee.onMessage = (message) => {
    if (message[0] === 68) callee.ws.send(JSON.stringify([70, message[1], {}, message[4]]));
  };
  await request(callee, [64, 0, {}, 'bench.echo'], 65);
  const caller = await deployment.node(callerNode);
  // The registration travels to the other node asynchronously: retry until the first call is answered.
  for (let attempt = 0; ; attempt++) {
    if (attempt === 200) throw new Error('the registration never reached the caller\'s node');
    const reply = await request(caller, [48, 0, {}, 'bench.echo', [0]], 50);
    if (reply) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const samples = [];
  const cpuBefore = cpuSeconds(deployment.pids());
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await request(caller, [48, 0, {}, 'bench.echo', [i]], 50);
    samples.push(performance.now() - started);
  }
  const cpu = cpuSeconds(deployment.pids()) - cpuBefore;
  samples.sort((a, b) => a - b);
  await closeClients([callee, caller]);
  const at = (q) => Number(samples[Math.floor(q * (samples.length - 1))].toFixed(3));
  return { p50ms: at(0.5), p99ms: at(0.99), serverCpuMicrosPerCall: Number(((cpu * 1e6) / calls).toFixed(2)) };
}

const loadAtStart = loadavg().map((load) => Number(load.toFixed(2)));
const results = {};
for (const start of [() => startWorkers(1), () => startWorkers(2), startRedisPair]) {
  const deployment = await start();
  const step = async (what, measure) => {
    process.stderr.write(`${deployment.name}: ${what}...\n`);
    return measure();
  };
  try {
    const result = {
      fanOut: await step('fan-out', () => fanOut(deployment)),
      publicationSameNode: await step('publications, same node', () => publicationCost(deployment, 0)),
      callSameNode: await step('calls, same node', () => callCost(deployment, 0)),
    };
    if (deployment.nodes > 1) {
      result.publicationOtherNode = await step('publications, other node', () => publicationCost(deployment, 1));
      result.callOtherNode = await step('calls, other node', () => callCost(deployment, 1));
      result.backplaneCpuMicrosPerPublication = Number((result.publicationOtherNode.serverCpuMicrosPerPublication - result.publicationSameNode.serverCpuMicrosPerPublication).toFixed(2));
      result.backplaneCpuMicrosPerCall = Number((result.callOtherNode.serverCpuMicrosPerCall - result.callSameNode.serverCpuMicrosPerCall).toFixed(2));
    }
    results[deployment.name] = result;
  } finally {
    // A failed step must not leave the routers (and Redis) running after the script ends.
    await deployment.stop();
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  subscribers, events, window, publications, calls, nproc: (await import('node:os')).availableParallelism(),
  loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((load) => Number(load.toFixed(2))) }, results,
}, null, 2));
