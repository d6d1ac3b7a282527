#!/usr/bin/env node
// Router links (rlinks) against one node, side by side in one run. Each deployment is real
// `bin/junction.js start` processes on loopback:
//   one          one node: publisher, subscribers, caller and callee all on it;
//   linked       node A and node B; B has a router link to A (forward_local_events and
//                forward_local_invocations on, the remote ones off), signing in with a ticket:
//                B's echo guard (src/node/rlink/echo-guard.ts) scans what it forwards for it;
//   linked-key   the same link signing in with B's node key (cryptosign): no secret, no scan;
//   linked-baseline  `linked` run from another build (--baseline DIR: a `git archive` of an earlier
//                commit, built), so that a change is measured before/after in one run.
// Workloads, each on every deployment:
//   fan-out  one publisher on A (on the node for `one`) and N lean subscribers on B
//            (clients/lean-subscriber.mjs, each checking its events' sequence), at most
//            --window publications unacknowledged and --in-transit events not yet delivered to
//            every subscriber, and no more than PER_SUBSCRIBER_IN_TRANSIT per subscriber (one
//            subscriber holding 16,000 events with forward_for passes the router's 4 MiB
//            slow-consumer bound, and its latency would be the queue's); a warm-up of a tenth, then the measured publications. Events
//            delivered per second, server CPU per delivered event on each node (/proc), latency
//            publish to arrival (the read that held it: lean subscribers read every socket at once).
//   rpc      (not with --calls 0; alone with --subscribers 0) C callers on A, each with one call in flight, and one callee on B echoing the
//            arguments (checked): calls/s, round trip p50/p99, server CPU per call on each node.
// Every loop is bounded in count and time; lost, duplicated or reordered events, a wrong echo or
// a failed call fail the run (exit code 1). All in this one process (the load generator's CPU and
// the machine's idle cores are shown beside the servers').
// --cpu-prof DIR writes each router's CPU profile there (one directory per deployment and node;
// summarise with bench/profile-summary.mjs).
// Usage: npm run build && node bench/rlink.mjs [--subscribers 100,1000] [--deliveries 1000000] [--window 16]
//          [--in-transit 16000] [--calls 40000] [--callers 16] [--rounds 2] [--deployments one,linked,linked-key]
//          [--link-serializer cbor] [--baseline DIR] [--cpu-prof DIR] [--json]
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectLeanWamp } from './clients/lean-subscriber.mjs';
import { connectWamp } from './clients/wamp-client.mjs';
import { now, sleep, withTimeout } from './lib/clock.mjs';
import { cpuSeconds, machineIdleSeconds } from './lib/cpu.mjs';
import { Histogram } from './lib/histogram.mjs';
import { freePort, retryUntil } from './lib/net.mjs';
import { SequenceCheck } from './lib/sequence-check.mjs';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100,1000' },
    deliveries: { type: 'string', default: '1000000' },
    window: { type: 'string', default: '16' },
    'in-transit': { type: 'string', default: '16000' },
    calls: { type: 'string', default: '40000' },
    callers: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '2' },
    deployments: { type: 'string', default: 'one,linked,linked-key' },
    'link-serializer': { type: 'string', default: 'cbor' },
    baseline: { type: 'string' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const subscriberCounts = values.subscribers.split(',').map(Number).filter((count) => count > 0); // --subscribers 0: RPC only
const deliveries = Number(values.deliveries);
const window = Number(values.window);
const inTransit = Number(values['in-transit']);
const calls = Number(values.calls);
const callers = Number(values.callers);
const rounds = Number(values.rounds);
const deployments = [...values.deployments.split(','), ...(values.baseline ? ['linked-baseline'] : [])];
const linkSerializer = values['link-serializer'];
const profiles = values['cpu-prof'];

const bin = new URL('../bin/junction.js', import.meta.url).pathname;
const baselineBin = values.baseline && join(values.baseline, 'bin/junction.js');
const START_MS = 60_000;
/** Each workload's measurement (warm-up included) ends within this, or the run fails. */
const STEP_MS = 120_000;
const PAD = 'x'.repeat(64);
const PER_SUBSCRIBER_IN_TRANSIT = 1000;
const TOPIC = 'bench.rlink.fan';
const PROCEDURE = 'bench.rlink.echo';
const TICKET = 'bench-rlink-ticket-0123456789';

function progress(text) {
  process.stderr.write(`[rlink] ${text}\n`);
}

/** A node key pair as Crossbar's key.priv holds it (hex seed and public key). */
function nodeKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const hex = (key, part) => Buffer.from(key.export({ format: 'jwk' })[part], 'base64url').toString('hex');
  return { privateKey: hex(privateKey, 'd'), publicKey: hex(publicKey, 'x') };
}

const everything = { call: true, register: true, publish: true, subscribe: true };
/**
 * realm1 open to anonymous clients, a role `rlink` that discloses publishers and callers (the
 * docs' convention), and no publish rate limit: the one publisher sends far more than 1,000/s.
 */
function realm(rlinks) {
  return {
    name: 'realm1',
    roles: [
      { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: everything }] },
      { name: 'rlink', permissions: [{ uri: '', match: 'prefix', allow: everything, disclose: { caller: true, publisher: true } }] },
    ],
    options: { limits: { publish_rate: { per_second: 0, burst: 0 } } },
    ...(rlinks ? { rlinks } : {}),
  };
}

/** A node's config: /ws for the clients, and (`linkAuth`) /rlink where the other node's link signs in. */
function nodeConfig(port, { linkAuth, rlinks } = {}) {
  const paths = { ws: { type: 'websocket', options: { max_per_address: 0 } } };
  if (linkAuth) paths.rlink = { type: 'websocket', serializers: ['cbor', 'msgpack', 'json'], auth: linkAuth };
  return {
    version: 2,
    workers: [{ type: 'router', realms: [realm(rlinks)], transports: [{ type: 'web', endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, paths }] }],
  };
}

/** Starts `bin/junction.js start` with `config` in its own folder (key.priv beside it, with `keys`). */
async function startNode(name, dir, config, keys, from = bin) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  if (keys) writeFileSync(join(dir, 'key.priv'), `public-key-ed25519: ${keys.publicKey}\nprivate-key-ed25519: ${keys.privateKey}\n`, { mode: 0o600 });
  const profile = profiles ? ['--cpu-prof', `--cpu-prof-dir=${join(profiles, name)}`] : [];
  const child = spawn(process.execPath, [...profile, from, 'start', '--config', file, '--log-level', 'warn'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const port = config.workers[0].transports[0].endpoint.port;
  const url = `ws://127.0.0.1:${port}/ws`;
  const stop = async () => {
    child.kill('SIGTERM');
    await withTimeout(exited, 15_000, `${name} stopping`).catch(() => child.kill('SIGKILL'));
  };
  try {
    await retryUntil(async () => (await withTimeout(connectWamp({ url }), 5_000, 'a join')).close(), { timeoutMs: START_MS, what: name, giveUp: () => (child.exitCode !== null ? new Error(`${name} exited (${child.exitCode})`) : null) });
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, label: name.endsWith('-A') ? 'A' : 'B', url, pid: child.pid, stop };
}

/**
 * A deployment: `a` is where the publisher and callers connect, `b` where the subscribers and the
 * callee do (for `one` the same node, shown as B).
 */
async function startDeployment(kind, dir) {
  const [portA, portB] = [await freePort(), await freePort()];
  if (kind === 'one') {
    const node = await startNode(`${kind}`, join(dir, kind), nodeConfig(portB));
    return { kind, a: node, b: node, nodes: [node], stop: () => node.stop() };
  }
  const keysB = nodeKeys();
  const linkAuth = {
    ticket: { type: 'static', principals: { rlink: { ticket: TICKET, role: 'rlink' } } },
    cryptosign: { type: 'static', principals: { rlink: { realm: 'realm1', role: 'rlink', authorized_keys: [keysB.publicKey] } } },
  };
  const from = kind === 'linked-baseline' ? baselineBin : bin;
  const a = await startNode(`${kind}-A`, join(dir, `${kind}-A`), nodeConfig(portA, { linkAuth }), undefined, from);
  const link = {
    id: 'to_a', realm: 'realm1', authid: 'rlink',
    ...(kind === 'linked-key' ? {} : { auth: { ticket: { ticket: TICKET } } }),
    forward_local_events: true, forward_remote_events: false, forward_local_invocations: true, forward_remote_invocations: false,
    transport: { type: 'websocket', url: `ws://127.0.0.1:${portA}/rlink`, endpoint: { type: 'tcp', host: '127.0.0.1', port: portA }, serializers: [linkSerializer] },
  };
  let b;
  try {
    b = await startNode(`${kind}-B`, join(dir, `${kind}-B`), nodeConfig(portB, { rlinks: [link] }), keysB, from);
  } catch (error) {
    await a.stop();
    throw error;
  }
  return { kind, a, b, nodes: [a, b], stop: async () => { await b.stop(); await a.stop(); } };
}

/** CPU seconds of each node so far, and this process's, and the machine's idle. */
function cpuMark(deployment) {
  const usage = process.cpuUsage();
  return { nodes: deployment.nodes.map((node) => cpuSeconds(node.pid)), client: (usage.user + usage.system) / 1e6, idle: machineIdleSeconds() };
}

function cpuSince(deployment, before, seconds, operations) {
  const after = cpuMark(deployment);
  const perNode = Object.fromEntries(deployment.nodes.map((node, i) => [node.label, after.nodes[i] - before.nodes[i]]));
  return {
    serverMicrosPer: Object.fromEntries(Object.entries(perNode).map(([name, cpu]) => [name, round2((cpu * 1e6) / operations)])),
    serverCores: Object.fromEntries(Object.entries(perNode).map(([name, cpu]) => [name, round2(cpu / seconds)])),
    clientCores: round2((after.client - before.client) / seconds),
    idleCores: round2((after.idle - before.idle) / seconds),
  };
}

const round2 = (x) => Number(x.toFixed(2));
const ms = (micros) => (micros === null ? null : Number((micros / 1000).toFixed(2)));

/**
 * Lean subscribers on B, subscribed to TOPIC; resolves once a marker published on A has reached
 * every one (the link mirrors each subscription asynchronously).
 */
async function subscribeAll(deployment, count, publisher, tally) {
  const clients = [];
  let markers = 0;
  for (let i = 0; i < count; i++) {
    const client = await withTimeout(connectLeanWamp({ url: deployment.b.url }), 10_000, 'a subscriber join');
    client.check = new SequenceCheck();
    await client.subscribe(TOPIC, (seq, arrived) => {
      if (typeof seq !== 'number') markers++;
      else tally(client, seq, arrived);
    });
    clients.push(client);
  }
  const deadline = Date.now() + 30_000;
  while (markers < clients.length) {
    if (Date.now() > deadline) throw new Error(`only ${markers} of ${clients.length} subscribers got a marker published on A within 30 s`);
    markers = 0;
    await publisher.publish(TOPIC, ['warm']);
    await sleep(200);
  }
  await sleep(300);
  return clients;
}

async function fanOut(deployment, subscribers) {
  const publisher = await connectWamp({ url: deployment.a.url });
  const publications = Math.max(10, Math.round(deliveries / subscribers));
  const warmup = Math.max(1, Math.round(publications / 10));
  const total = warmup + publications;
  const sentAt = new Float64Array(total + 1);
  const latency = new Histogram();
  let delivered = 0;
  const clients = await subscribeAll(deployment, subscribers, publisher, (client, seq, arrived) => {
    client.check.see(seq);
    delivered++;
    if (seq > warmup) latency.record((arrived - sentAt[seq]) * 1000);
  });
  const transitBound = Math.min(inTransit, PER_SUBSCRIBER_IN_TRANSIT * subscribers);
  const deadline = Date.now() + STEP_MS;
  let sent = 0;
  let unacknowledged = 0;
  let failure;
  /** Publishes up to `until`, within the window and the events-in-transit bound; resolves when all are delivered. */
  const run = (until) => new Promise((resolve, reject) => {
    const timer = setInterval(() => pump(), 1);
    const finish = (error) => {
      clearInterval(timer);
      if (error) reject(error);
      else resolve();
    };
    const pump = () => {
      if (failure) return finish(failure);
      if (Date.now() > deadline) return finish(new Error(`fan-out to ${subscribers} did not end within ${STEP_MS} ms (${delivered} of ${until * subscribers} delivered)`));
      while (sent < until && unacknowledged < window && sent * subscribers - delivered < transitBound) {
        const seq = ++sent;
        unacknowledged++;
        sentAt[seq] = now();
        publisher.publish(TOPIC, [seq, PAD]).then(() => {
          unacknowledged--;
          pump();
        }, (error) => {
          failure = error;
        });
      }
      if (delivered >= until * subscribers) finish();
    };
    pump();
  });
  let result;
  try {
    await run(warmup);
    const before = cpuMark(deployment);
    const started = performance.now();
    const from = delivered;
    await run(total);
    const seconds = (performance.now() - started) / 1000;
    const measured = delivered - from;
    const faults = { missing: 0, reordered: 0, duplicates: 0 };
    for (const client of clients) {
      const each = client.check.faults(total);
      for (const key of Object.keys(faults)) faults[key] += each[key];
      faults.duplicates += client.unexpectedEvents;
    }
    result = {
      workload: `fanout-${subscribers}`, deployment: deployment.kind, publications, throughput: Math.round(measured / seconds),
      p50: ms(latency.quantile(0.5)), p99: ms(latency.quantile(0.99)), ...cpuSince(deployment, before, seconds, measured), faults,
    };
  } finally {
    await closeAll([...clients, publisher]);
  }
  return result;
}

async function rpc(deployment) {
  const callee = await connectWamp({ url: deployment.b.url });
  await callee.register(PROCEDURE, (args) => args);
  const sessions = [];
  for (let i = 0; i < callers; i++) sessions.push(await connectWamp({ url: deployment.a.url }));
  let result;
  try {
    // The link mirrors the registration asynchronously: call until it answers (bounded).
    await retryUntil(() => sessions[0].call(PROCEDURE, [0]), { timeoutMs: 30_000, what: 'the callee on B answering a call on A' });
    const latency = new Histogram();
    const warmup = Math.round(calls / 10);
    let issued = 0;
    let completed = 0;
    let wrong = 0;
    let before;
    let started;
    const deadline = Date.now() + STEP_MS;
    const loop = async (session, index) => {
      while (issued < warmup + calls) {
        if (Date.now() > deadline) throw new Error(`rpc did not end within ${STEP_MS} ms (${completed} calls)`);
        const n = ++issued;
        const at = performance.now();
        const answer = await session.call(PROCEDURE, [index, n, PAD]);
        if (answer[1] !== n || answer[0] !== index || answer[2] !== PAD) wrong++;
        if (n > warmup) {
          latency.record((performance.now() - at) * 1000);
          completed++;
        } else if (n === warmup) {
          before = cpuMark(deployment);
          started = performance.now();
        }
      }
    };
    await Promise.all(sessions.map(loop));
    const seconds = (performance.now() - started) / 1000;
    result = {
      workload: 'rpc', deployment: deployment.kind, throughput: Math.round(completed / seconds), p50: ms(latency.quantile(0.5)), p99: ms(latency.quantile(0.99)),
      ...cpuSince(deployment, before, seconds, completed), faults: { wrong },
    };
  } finally {
    await closeAll([...sessions, callee]);
  }
  return result;
}

async function closeAll(sessions) {
  for (const session of sessions) session.close();
  await withTimeout(Promise.all(sessions.map((session) => session.ended)), 15_000, `closing ${sessions.length} sessions`).catch((error) => progress(error.message));
}

const faulty = (result) => result.error !== undefined || Object.values(result.faults ?? {}).some((count) => count > 0);

function median(results) {
  const sorted = [...results].sort((x, y) => x.throughput - y.throughput);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  return { ...middle, range: `${sorted[0].throughput.toLocaleString('en')}-${sorted.at(-1).throughput.toLocaleString('en')}` };
}

function table(rows) {
  const header = ['workload', 'deployment', 'per s', 'rounds range', 'p50 ms', 'p99 ms', 'server µs/op A', 'server µs/op B', 'cores A', 'cores B', 'client cores', 'idle cores', 'faults'];
  const cells = rows.map((r) => {
    return [r.workload, r.deployment, r.throughput.toLocaleString('en'), r.range, String(r.p50), String(r.p99),
      String(r.serverMicrosPer.A ?? '-'), String(r.serverMicrosPer.B),
      String(r.serverCores.A ?? '-'), String(r.serverCores.B), String(r.clientCores), String(r.idleCores),
      Object.entries(r.faults).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'junction-rlink-bench-'));
  const load = { before: loadavg() };
  const all = [];
  // A hard bound on the whole run: every step has its own, this catches anything else.
  const budgetMs = rounds * deployments.length * (2 * START_MS + (subscriberCounts.length + 1) * STEP_MS);
  const guard = setTimeout(() => {
    progress(`the run exceeded ${budgetMs / 1000} s; stopping`);
    process.exit(1);
  }, budgetMs).unref();
  try {
    for (let round = 1; round <= rounds; round++) {
      // Rotated each round, so no deployment always runs first (or last) on a shared machine.
      const order = deployments.map((_, i) => deployments[(i + round - 1) % deployments.length]);
      for (const kind of order) {
        progress(`round ${round}: ${kind}: starting`);
        const deployment = await startDeployment(kind, join(dir, `round${round}`));
        try {
          for (const subscribers of subscriberCounts) {
            progress(`round ${round}: ${kind}: fan-out to ${subscribers}`);
            all.push({ round, ...(await fanOut(deployment, subscribers).catch((error) => ({ workload: `fanout-${subscribers}`, deployment: kind, error: error.message }))) });
          }
          if (calls === 0) continue; // --calls 0: fan-out only
          progress(`round ${round}: ${kind}: rpc`);
          all.push({ round, ...(await rpc(deployment).catch((error) => ({ workload: 'rpc', deployment: kind, error: error.message }))) });
        } finally {
          await deployment.stop();
        }
      }
    }
  } finally {
    clearTimeout(guard);
    rmSync(dir, { recursive: true, force: true });
  }
  load.after = loadavg();
  const groups = new Map();
  for (const result of all.filter((r) => !r.error)) {
    const key = `${result.workload}|${result.deployment}`;
    groups.set(key, [...(groups.get(key) ?? []), result]);
  }
  const medians = [...groups.values()].map(median).sort((x, y) => x.workload.localeCompare(y.workload) || deployments.indexOf(x.deployment) - deployments.indexOf(y.deployment));
  if (values.json) process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: availableParallelism(), load, settings: values, medians, all }, null, 2)}\n`);
  else {
    const loads = (l) => l.map((x) => x.toFixed(2)).join(' ');
    process.stdout.write(`\nJunction router-link bench, ${new Date().toISOString()}, node ${process.version}, ${availableParallelism()} CPUs, load average ${loads(load.before)} before / ${loads(load.after)} after, link serializer ${linkSerializer}, median of ${rounds} rounds\n\n`);
    process.stdout.write(`${table(medians)}\n`);
    for (const failed of all.filter((r) => r.error)) process.stdout.write(`\nround ${failed.round} ${failed.workload} on ${failed.deployment} failed: ${failed.error}\n`);
  }
  return all.some(faulty) ? 1 : 0;
}

main().then((code) => process.exit(code), (error) => {
  progress(error.stack);
  process.exit(1);
});
