#!/usr/bin/env node
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { expectMessage, forkBench, runEntryPoint, sendTo, stopChild, stopEverythingAfter } from './lib/children.mjs';
import { cpuSeconds } from './lib/cpu.mjs';
import { oneOf, positiveNumber, readCommandLine } from './lib/options.mjs';
import { largestIdleCount, openFileLimit } from './lib/open-files.mjs';
import { SYSTEMS, startSystem, targetFor } from './systems.mjs';
import { TIME_SCALE } from './lib/time-scale.mjs';

const USAGE = `Usage: node bench/idle.mjs [options]     (after npm run build)

Idle sessions: N WebSocket sessions that each join and subscribe to 2 topics, then stay quiet;
or, for the MQTT systems, N MQTT clients (keepalive 60 s, clean session) with 1 subscription each.
Reports the server's memory per session (RSS, and for Junction the V8 heap after a full GC,
from bench/lib/router-probe.mjs) and the CPU it spends per second keeping them (pings).
A server holds one open file per session: counts above this machine's limit (ulimit -n) run in
a guest with its own limits, bench/vm/run-in-guest.sh (bench/RESULTS.md, h/vmidle).

  --sessions LIST        comma-separated session counts (default 10000)
  --systems LIST         relay | junction | junction-baseline | junction-mqtt |
                         junction-baseline-mqtt | mosquitto (default relay,junction)
  --mqtt-versions LIST   the MQTT systems are measured once per protocol version given:
                         4 (MQTT 3.1.1) and/or 5 (default 4)
  --idle-seconds S       how long the idle CPU is measured (default 30: more than one ping
                         interval at Junction's default auto_ping_interval of 25 s)
  --per-address N        sessions per source address 127.0.k.x (default 15000; one address has
                         about 28,000 ephemeral ports)
  --per-process N        sessions per load-generator process (default 15000: a process may hold
                         only RLIMIT_NOFILE descriptors)
  --warm-up N            before the N sessions, join and close this many (default 0: none), then
                         read the server's memory again: what the first sessions cost once (code
                         compiled and paged in for the join path, V8's and malloc's high-water
                         marks) is in that reading, and the "after warm-up" columns divide
                         (joined - warmed up) by the sessions. KiB/session stays (joined - empty)
                         / sessions, but the warm-up changes it too (bench/RESULTS.md, idle)
  --ping-interval MS     Junction's WebSocket auto_ping_interval (default: the router's, 25 s).
                         Where the CPU is emulated (bench/vm/run-in-guest.sh --accel tcg) the
                         keepalives of 50,000 sessions take a whole core: raise it there so the
                         joins can finish. The heap per session barely depends on it; the
                         "after idle" RSS does (a ping round in the window lets V8 give pages
                         back): compare runs with the same interval (bench/RESULTS.md, h/vmidle)
  --baseline DIR         a built checkout of Junction, run as junction-baseline
  --heap-snapshot DIR    write a heap snapshot of each Junction router with all sessions joined
  --json                 machine-readable results on stdout
  -h, --help             this text
`;

const SYSTEM_NAMES = ['relay', 'junction', 'junction-baseline', 'junction-mqtt', 'junction-baseline-mqtt', 'mosquitto'];
const MQTT_SYSTEMS = ['junction-mqtt', 'junction-baseline-mqtt', 'mosquitto'];
/** An MQTT device holds one subscription; a WAMP session a room's and its own. */
const subscriptionsOf = (system) => (MQTT_SYSTEMS.includes(system) ? 1 : 2);

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      sessions: { type: 'string', default: '10000' },
      systems: { type: 'string', default: 'relay,junction' },
      'mqtt-versions': { type: 'string', default: '4' },
      'idle-seconds': { type: 'string', default: '30' },
      'per-address': { type: 'string', default: '15000' },
      'per-process': { type: 'string', default: '15000' },
      'warm-up': { type: 'string', default: '0' },
      'ping-interval': { type: 'string' },
      baseline: { type: 'string' },
      'heap-snapshot': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  return {
    help: values.help,
    sessions: values.sessions.split(',').map((text) => positiveNumber('sessions', text.trim())),
    systems: values.systems.split(',').map((name) => oneOf('systems', name.trim(), SYSTEM_NAMES.filter((s) => SYSTEMS.includes(s)))),
    mqttVersions: values['mqtt-versions'].split(',').map((text) => Number(oneOf('mqtt-versions', text.trim(), ['4', '5']))),
    idleSeconds: positiveNumber('idle-seconds', values['idle-seconds'], { integer: false }),
    perAddress: positiveNumber('per-address', values['per-address']),
    perProcess: positiveNumber('per-process', values['per-process']),
    warmUp: values['warm-up'] === '0' ? 0 : positiveNumber('warm-up', values['warm-up']),
    autoPingIntervalMs: values['ping-interval'] === undefined ? undefined : positiveNumber('ping-interval', values['ping-interval']),
    baseline: values.baseline === undefined ? undefined : resolve(values.baseline),
    heapSnapshotDir: values['heap-snapshot'] === undefined ? undefined : resolve(values['heap-snapshot']),
    json: values.json,
  };
}

function progress(text) {
  process.stderr.write(`[idle] ${text}\n`);
}

function rssFromProc(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Junction (probe): RSS and heap after a full GC. The relay: RSS from /proc, no heap figure. */
async function memoryOf(server, snapshot) {
  if (!server.probe) return { rss: rssFromProc(server.pid), heapUsed: null, heapTotal: null, external: null, newSpace: null, mallocHeap: null, mallocArenas: null, otherAnon: null };
  const { rss, heapUsed, heapTotal, external, newSpace, mallocHeap, mallocArenas, otherAnon } = await server.probe(snapshot);
  return { rss, heapUsed, heapTotal, external, newSpace, mallocHeap: mallocHeap ?? null, mallocArenas: mallocArenas ?? null, otherAnon: otherAnon ?? null };
}

const SETUP_MS_PER_SESSION = 20 * TIME_SCALE;
let idleMeasurements = 0;
/** The last octet of the warm-up's source address: apart from the measured sessions' (2, 3, ...). */
const WARM_UP_ADDRESS_OCTET = 250;

/** Joins `count` sessions from their own source address and drops them: the server's one-time costs. */
async function warmUp(target, count, subscriptions, label) {
  const worker = forkBench('workers/idle-sessions.mjs', {
    target, count, subscriptions, firstIndex: 0, localAddresses: [`127.0.${idleMeasurements}.${WARM_UP_ADDRESS_OCTET}`], hardTimeoutMs: 60_000 * TIME_SCALE + count * SETUP_MS_PER_SESSION,
  }, `${label} warm-up`);
  try {
    await expectMessage(worker, 'ready', 60_000 * TIME_SCALE + count * SETUP_MS_PER_SESSION);
  } finally {
    await stopChild(worker, 10_000);
  }
}

/**
 * One system with `count` idle sessions: memory per session before and after `options.idleSeconds`
 * of quiet, the CPU the server spent in that time (keepalive pings), and whether every session is
 * still open. options: { idleSeconds, perAddress, perProcess, autoPingIntervalMs, baseline, heapSnapshotDir }.
 * `mqttVersion` (4 or 5): the MQTT protocol version of an MQTT system's clients.
 */
export async function measureIdle(system, count, options, mqttVersion = 4) {
  const mqtt = MQTT_SYSTEMS.includes(system);
  const label = mqtt ? `${system} v${mqttVersion}` : system;
  const subscriptions = subscriptionsOf(system);
  const setupTimeoutMs = 60_000 * TIME_SCALE + count * SETUP_MS_PER_SESSION;
  const hardTimeoutMs = setupTimeoutMs + options.idleSeconds * 1000 + 120_000 * TIME_SCALE;
  const server = await startSystem(system, { serializer: 'json', probe: true, baseline: options.baseline, hardTimeoutMs, autoPingIntervalMs: options.autoPingIntervalMs });
  const workers = [];
  try {
    await sleep(1000);
    const empty = await memoryOf(server);
    const target = { ...targetFor(server, 'subscriber', { serializer: 'json' }), ...(mqtt ? { protocolVersion: mqttVersion } : {}) };
    // A block of source addresses of its own per measurement: the previous one's ports may still
    // be in TIME_WAIT, and a connection bound to an address cannot pick around those.
    idleMeasurements++;
    let warm = empty;
    if (options.warmUp > 0) {
      await warmUp(target, options.warmUp, subscriptions, label);
      await sleep(2000); // the server sees every close
      warm = await memoryOf(server);
      progress(`${label}: ${options.warmUp} sessions joined and closed (warm-up)`);
    }
    const addresses = Array.from({ length: Math.ceil(count / options.perAddress) }, (_, i) => `127.0.${idleMeasurements}.${2 + i}`);
    const procs = Math.ceil(count / options.perProcess);
    for (let i = 0, first = 0; i < procs; i++) {
      const share = Math.floor(count / procs) + (i < count % procs ? 1 : 0);
      workers.push(forkBench('workers/idle-sessions.mjs', { target, count: share, subscriptions, firstIndex: first, localAddresses: addresses, hardTimeoutMs },
        `${label} idle sessions #${i + 1}`));
      first += share;
    }
    const started = Date.now();
    await Promise.all(workers.map((worker) => expectMessage(worker, 'ready', setupTimeoutMs)));
    const joinSeconds = (Date.now() - started) / 1000;
    progress(`${label}: ${count} sessions joined and subscribed in ${joinSeconds.toFixed(1)} s`);
    await sleep(2000);
    const joined = await memoryOf(server);

    const cpuBefore = cpuSeconds(server.pid);
    await sleep(options.idleSeconds * 1000);
    const cpuAfter = cpuSeconds(server.pid);
    const idle = await memoryOf(server);

    // Every session must still be open: keepalives must not drop a live peer.
    const checks = await Promise.all(workers.map((worker) => {
      sendTo(worker, { type: 'check' });
      return expectMessage(worker, 'checked', 60_000 * TIME_SCALE);
    }));
    const open = checks.reduce((sum, check) => sum + check.open, 0);

    if (options.heapSnapshotDir && server.probe) {
      mkdirSync(options.heapSnapshotDir, { recursive: true });
      const file = join(options.heapSnapshotDir, `${label.replace(' ', '-')}-${count}.heapsnapshot`);
      await memoryOf(server, file);
      progress(`heap snapshot: ${file}`);
    }
    const per = (a, b) => (a === null || b === null ? null : (a - b) / count);
    return {
      system: label,
      subscriptions,
      sessions: count,
      open,
      joinSeconds,
      rssEmptyMiB: empty.rss / 2 ** 20,
      rssJoinedMiB: joined.rss / 2 ** 20,
      rssIdleMiB: idle.rss / 2 ** 20,
      rssPerSessionKiB: per(joined.rss, empty.rss) / 1024,
      warmUpSessions: options.warmUp,
      warmUpCostMiB: options.warmUp > 0 ? (warm.rss - empty.rss) / 2 ** 20 : null,
      rssPerSessionWarmKiB: options.warmUp > 0 ? per(joined.rss, warm.rss) / 1024 : null,
      heapPerSessionWarmKiB: options.warmUp > 0 && per(joined.heapUsed, warm.heapUsed) !== null ? per(joined.heapUsed, warm.heapUsed) / 1024 : null,
      newSpaceGrowthMiB: joined.newSpace === null ? null : (joined.newSpace - empty.newSpace) / 2 ** 20,
      rssPerSessionAfterIdleKiB: per(idle.rss, empty.rss) / 1024,
      heapPerSessionKiB: per(joined.heapUsed, empty.heapUsed) === null ? null : per(joined.heapUsed, empty.heapUsed) / 1024,
      externalPerSessionKiB: per(joined.external, empty.external) === null ? null : per(joined.external, empty.external) / 1024,
      // Where the RSS goes besides live objects (--json only): V8's committed pages, the C heap.
      heapCommittedPerSessionKiB: per(joined.heapTotal, empty.heapTotal) === null ? null : per(joined.heapTotal, empty.heapTotal) / 1024,
      mallocHeapPerSessionKiB: per(joined.mallocHeap, empty.mallocHeap) === null ? null : per(joined.mallocHeap, empty.mallocHeap) / 1024,
      mallocArenasPerSessionKiB: per(joined.mallocArenas, empty.mallocArenas) === null ? null : per(joined.mallocArenas, empty.mallocArenas) / 1024,
      otherAnonPerSessionKiB: per(joined.otherAnon, empty.otherAnon) === null ? null : per(joined.otherAnon, empty.otherAnon) / 1024,
      // Every reading (--json): the empty server, after the warm-up, with the sessions, after the idle window.
      memory: { empty, warm: options.warmUp > 0 ? warm : null, joined, idle },
      idleCpuMsPerSecond: cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / options.idleSeconds,
    };
  } finally {
    await Promise.all(workers.map((worker) => stopChild(worker, 10_000)));
    await server.stop();
  }
}

function fixed(value, digits) {
  return value === null ? '-' : value.toFixed(digits);
}

export function formatIdleResults(results) {
  const header = ['system', 'sessions', 'open after', 'join s', 'RSS MiB', 'KiB/session', 'after idle', 'heap KiB/session', 'external KiB/session', 'young gen +MiB',
    'warm-up +MiB', 'KiB/session after warm-up', 'heap after warm-up', 'idle CPU ms/s'];
  const rows = results.map((r) => (r.error
    ? [r.system, String(r.sessions), `failed: ${r.error}`]
    : [r.system, String(r.sessions), String(r.open), fixed(r.joinSeconds, 1), fixed(r.rssJoinedMiB, 1), fixed(r.rssPerSessionKiB, 2),
      fixed(r.rssPerSessionAfterIdleKiB, 2), fixed(r.heapPerSessionKiB, 2), fixed(r.externalPerSessionKiB, 2), fixed(r.newSpaceGrowthMiB, 1),
      fixed(r.warmUpCostMiB ?? null, 1), fixed(r.rssPerSessionWarmKiB ?? null, 2), fixed(r.heapPerSessionWarmKiB ?? null, 2), fixed(r.idleCpuMsPerSecond, 2)]));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells) => cells.map((cell, i) => (i < 1 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main() {
  const { options, exitCode } = readCommandLine(parseOptions, USAGE);
  if (!options) return exitCode;
  const limit = openFileLimit();
  const tooMany = options.sessions.filter((count) => count > largestIdleCount());
  if (tooMany.length > 0) {
    process.stderr.write(`--sessions ${tooMany.join(',')}: a server process may open only ${limit} files here (ulimit -n), one per session; raise the limit first, or run this in a guest whose limits are its own: bench/vm/run-in-guest.sh\n`);
    return 2;
  }
  const runs = options.systems.reduce((sum, system) => sum + (MQTT_SYSTEMS.includes(system) ? options.mqttVersions.length : 1), 0);
  const budgetMs = options.sessions.reduce((sum, count) => sum + runs * (300_000 * TIME_SCALE + count * SETUP_MS_PER_SESSION + options.idleSeconds * 1000), 0);
  stopEverythingAfter(budgetMs, progress, `the idle run exceeded ${budgetMs / 1000} s; stopping everything`);
  const results = [];
  for (const count of options.sessions) {
    for (const system of options.systems) {
      for (const version of MQTT_SYSTEMS.includes(system) ? options.mqttVersions : [undefined]) {
        const label = version === undefined ? system : `${system} v${version}`;
        progress(`${label}: ${count} sessions`);
        try {
          results.push(await measureIdle(system, count, options, version));
        } catch (error) {
          progress(`${label} / ${count} failed: ${error.message}`);
          results.push({ system: label, sessions: count, error: error.message });
        }
      }
    }
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), node: process.version, options, results }, null, 2)}\n`);
  else process.stdout.write(`\nIdle sessions, each joined with 2 subscriptions (an MQTT client: 1) (${new Date().toISOString()}, node ${process.version}); memory per session = (joined - empty) / sessions, after a full GC for Junction\n\n${formatIdleResults(results)}\n`);
  return results.some((r) => r.error || r.open !== r.sessions) ? 1 : 0;
}

// Also imported by run.mjs (its idle workload): the command line only when run as a script.
if (import.meta.url === pathToFileURL(process.argv[1]).href) runEntryPoint(main, progress);
