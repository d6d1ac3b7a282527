#!/usr/bin/env node
// One process vs `junction start --workers 2`, side by side in one run:
//   fan-out: S subscribers spread over the workers, one publisher sending E events (at most W
//            unacknowledged... in flight), events delivered per second counted at the subscribers;
//   calls:   C sequential calls, caller and callee on the same worker and on different workers,
//            latency p50/p99.
// Server CPU is read from /proc for the router processes (parent and workers summed).
// Usage: npm run build && node bench/cluster.mjs [--subscribers 200] [--events 20000] [--calls 2000]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '200' },
    events: { type: 'string', default: '20000' },
    window: { type: 'string', default: '200' },
    calls: { type: 'string', default: '2000' },
  },
});
const subscribers = Number(values.subscribers);
const events = Number(values.events);
const window = Number(values.window);
const calls = Number(values.calls);
const bin = new URL('../bin/junction.js', import.meta.url).pathname;
const clockTicks = 100; // USER_HZ on Linux

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts junction; resolves when every worker serves. */
async function startJunction(workers) {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--workers', String(workers), '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error('junction did not start');
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Wait until as many distinct nodes answer as there are workers (each answers once it serves).
  if (workers > 1) {
    const seen = new Set();
    while (seen.size < workers && Date.now() < deadline) {
      const client = await connect(port);
      seen.add(client.node);
      client.ws.close();
    }
  }
  return { port, child };
}

/** Every pid of the process tree under `pid` (the parent and its workers). */
function tree(pid) {
  const children = (() => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  })();
  return [pid, ...children.flatMap(tree)];
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
      } else previous(reply);
    };
    message[1] = id;
    client.ws.send(JSON.stringify(message));
  });
}

async function fanOut(port, pids) {
  const clients = [];
  for (let i = 0; i < subscribers; i++) clients.push(await connect(port));
  let received = 0;
  for (const client of clients) {
    client.onMessage = (message) => {
      if (message[0] === 36) received++;
    };
    await request(client, [32, 0, {}, 'bench.fan'], 33);
  }
  const publisher = await connect(port);
  // Subscriptions travel between workers asynchronously: publish markers until all have one.
  while (received < subscribers) {
    received = 0;
    publisher.ws.send(JSON.stringify([16, ++publisher.request, {}, 'bench.fan', ['warm']]));
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  received = 0;
  const cpuBefore = cpuSeconds(pids());
  const started = performance.now();
  let sent = 0;
  // Acknowledged publications bound what is in flight: at most `window` unanswered.
  await new Promise((resolve) => {
    let inFlight = 0;
    publisher.onMessage = (message) => {
      if (message[0] !== 17) return;
      inFlight--;
      pump();
    };
    const pump = () => {
      while (inFlight < window && sent < events) {
        publisher.ws.send(JSON.stringify([16, ++publisher.request, { acknowledge: true }, 'bench.fan', [sent, 'x'.repeat(64)]]));
        sent++;
        inFlight++;
      }
      if (sent === events && inFlight === 0) resolve();
    };
    pump();
  });
  const expected = events * subscribers;
  const deadline = Date.now() + 60_000;
  while (received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pids()) - cpuBefore;
  const nodes = new Map();
  for (const client of clients) nodes.set(client.node, (nodes.get(client.node) ?? 0) + 1);
  for (const client of [...clients, publisher]) client.ws.close();
  return {
    deliveriesPerSecond: Math.round(received / seconds), delivered: received, expected,
    serverCpuMicrosPerDelivery: Number(((cpu * 1e6) / received).toFixed(2)), spread: Object.fromEntries(nodes),
  };
}

async function callLatency(port, crossNode) {
  // Callee first, then callers until one lands on the wanted side (same or other worker).
  const callee = await connect(port);
  callee.onMessage = (message) => {
    if (message[0] === 68) callee.ws.send(JSON.stringify([70, message[1], {}, message[4]]));
  };
  await request(callee, [64, 0, {}, 'bench.echo'], 65);
  let caller;
  for (let i = 0; i < 20; i++) {
    const candidate = await connect(port);
    if ((candidate.node !== callee.node) === crossNode) {
      caller = candidate;
      break;
    }
    candidate.ws.close();
  }
  if (!caller) return undefined;
  // The registration travels to the other worker asynchronously.
  for (;;) {
    const reply = await request(caller, [48, 0, {}, 'bench.echo', [0]], crossNode ? 50 : 50).catch(() => undefined);
    if (reply) break;
  }
  const samples = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await request(caller, [48, 0, {}, 'bench.echo', [i]], 50);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  callee.ws.close();
  caller.ws.close();
  const at = (q) => Number(samples[Math.floor(q * (samples.length - 1))].toFixed(3));
  return { p50ms: at(0.5), p99ms: at(0.99) };
}

const results = {};
for (const workers of [1, 2]) {
  const { port, child } = await startJunction(workers);
  const pids = () => tree(child.pid);
  results[`workers=${workers}`] = {
    fanOut: await fanOut(port, pids),
    sameNodeCall: await callLatency(port, false),
    ...(workers > 1 ? { crossNodeCall: await callLatency(port, true) } : {}),
  };
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}
console.log(JSON.stringify({ subscribers, events, window, calls, nproc: (await import('node:os')).availableParallelism(), results }, null, 2));
