import { WORKLOADS } from '../workloads/index.mjs';

/**
 * Human-readable tables and ratios for the results of one run, and the verdicts on issue #14's
 * targets that one run can give (TARGETS).
 */

// Junction's throughput as a share of the relay's (uncorked), per workload.
export const TARGETS = { fanout: 1.5, rpc: 0.95 };
// rpc-latency: Junction's p99 at the offered load at most this; fanout-latency: at most the relay's.
const RPC_P99_TARGET_MS = 1;

export const LEGEND = `Columns: throughput and latencies are from each system's median round; "rounds range" is the
lowest and highest throughput over rounds. "server µs/..." is the server process's CPU time per
delivered event, completed call, publication or join, the median over rounds (lower is better;
the least noisy figure on a shared machine). "peak RSS" is the server's highest resident memory
(VmHWM) during that run (each run starts a fresh server).
"server/client cores" are the cores the server and the load generators used during the measured
window, "idle cores" what the whole machine left unused. Fan-out latency includes queueing
within the bounded number of events in transit (--max-queued), so under saturation it mostly
reflects that bound: compare it between systems, not with other benchmarks. The *-latency
workloads offer a fixed rate instead (open loop) and time each message from when it was due, so
they show latency below saturation; "send lag" is how late the load generator sent calls (its
timers fire at 1 ms granularity at best), "from send" the latency from the actual send, "to
callee" from the schedule to the invocation's arrival at the callee (the forward leg). In the
publish workload "server µs/pub" is per publication (all its deliveries included), and
"events/s" the deliveries summed over its subscribers.
"vs junction" lines compare each Junction system with Junction on WebSocket in the same run:
throughput, and server CPU per message.`;

function fixed(value, digits) {
  return value === null || value === undefined ? 'n/a' : value.toFixed(digits);
}

function integer(value) {
  return Math.round(value).toLocaleString('en-US');
}

export function table(headers, rows) {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function resultOf(results, workload, system) {
  return results.find((r) => r.workload === workload && r.system === system && !r.error);
}

export function ratio(results, workload, numerator, denominator) {
  const top = resultOf(results, workload, numerator);
  const bottom = resultOf(results, workload, denominator);
  return top && bottom && bottom.throughput > 0 ? top.throughput / bottom.throughput : null;
}

/** The faults of a result, worded; 'none' if it has none. Any fault fails the run (run.mjs). */
export function problems(result) {
  if (result.error) return 'FAILED';
  const notes = [];
  if (result.lost) notes.push(`${integer(result.lost)} lost`);
  if (result.reordered) notes.push(`${integer(result.reordered)} reordered`);
  if (result.duplicates) notes.push(`${integer(result.duplicates)} duplicates`);
  if (result.publishErrors) notes.push(`${integer(result.publishErrors)} publish errors`);
  if (result.callErrors) notes.push(`${integer(result.callErrors)} call errors`);
  if (result.connectErrors) notes.push(`${integer(result.connectErrors)} connect errors`);
  if (result.failedRounds) notes.push(`${result.failedRounds} failed rounds`);
  return notes.join(', ') || 'none';
}

export function hasFault(result) {
  return Boolean(result.error || result.lost || result.duplicates || result.reordered || result.publishErrors || result.callErrors || result.connectErrors);
}

/** The columns of a workload's table: [header, cell(result)], some only where they apply. */
function columns(workload, options) {
  const { unit, perMessage, bytes } = WORKLOADS[workload];
  const range = (r) => (r.roundThroughputs ? `${integer(Math.min(...r.roundThroughputs))}-${integer(Math.max(...r.roundThroughputs))}` : 'n/a');
  return [
    [unit, (r) => integer(r.throughput)],
    workload === 'publish' && ['events/s', (r) => integer(r.eventsPerSecond)],
    bytes && ['MB/s', (r) => fixed(r.megabytesPerSecond, 1)],
    options.rounds > 1 && ['rounds range', range],
    ['p50 ms', (r) => fixed(r.p50Ms, 2)],
    ['p99 ms', (r) => fixed(r.p99Ms, 2)],
    ['p99.9 ms', (r) => fixed(r.p999Ms, 2)],
    workload === 'rpc-latency' && ['send lag p99 ms', (r) => fixed(r.sendLagP99Ms, 2)],
    workload === 'rpc-latency' && ['p99 from send ms', (r) => fixed(r.p99FromSendMs, 2)],
    workload === 'rpc-latency' && ['p99 to callee ms', (r) => fixed(r.p99ToCalleeMs, 2)],
    [perMessage, (r) => fixed(r.serverMicrosPerMessage, 2)],
    ['server cores', (r) => fixed(r.serverCores, 2)],
    ['client cores', (r) => fixed(r.clientCores, 2)],
    options.leanSubscribers && perMessage === 'server µs/event' && ['client µs/event', (r) => fixed(r.clientMicrosPerEvent, 2)],
    ['idle cores', (r) => fixed(r.idleCores, 2)],
    ['peak RSS MiB', (r) => fixed(r.peakRssMiB, 0)],
    ['problems', problems],
  ].filter(Boolean);
}

export function formatWorkload(workload, results, options) {
  const { unit, title } = WORKLOADS[workload];
  const cols = columns(workload, options);
  const rows = results
    .filter((r) => r.workload === workload)
    .map((r) => [r.system, ...cols.map(([, cell], i) => (r.error ? (i === cols.length - 1 ? 'FAILED' : 'n/a') : cell(r)))]);
  const lines = [title(options), '', table(['system', ...cols.map(([header]) => header)], rows), ''];
  // At a fixed offered rate, throughput says nothing about the system: only latency does.
  const vsRelay = WORKLOADS[workload].latency ? null : ratio(results, workload, 'junction', 'relay');
  if (vsRelay !== null) {
    const target = TARGETS[workload];
    const verdict = target === undefined ? '' : `  (${vsRelay >= target ? 'meets' : 'MISSES'} the ${target * 100}% target)`;
    lines.push(`Junction/relay ${unit}:     ${fixed(vsRelay * 100, 1)}%${verdict}`);
  }
  lines.push(...latencyVerdicts(workload, results));
  for (const other of WORKLOADS[workload].latency ? [] : ['socketio', 'relay-corked', 'relay-framed']) {
    const share = ratio(results, workload, 'junction', other);
    if (share !== null) lines.push(`Junction/${other} ${unit}: ${fixed(share * 100, 1)}%`);
  }
  lines.push(...transportLines(workload, results, unit));
  for (const r of results) {
    if (r.workload === workload && r.error) lines.push(`${r.system} failed: ${r.error}`);
    else if (r.workload === workload && r.firstError) lines.push(`${r.system} first error: ${r.firstError}`);
    if (r.workload === workload && r.outOfPublishOrder) {
      lines.push(`${r.system}: ${integer(r.outOfPublishOrder)} events arrived out of publish order (concurrent POSTs on several connections: expected, not a fault)`);
    }
    if (r.workload === workload && r.roundError) lines.push(`${r.system}: ${r.failedRounds} round(s) failed, first: ${r.roundError}`);
    if (r.workload === workload && r.otherTopics) {
      lines.push(`${r.system}: ${integer(r.otherTopics)} messages on other topics to the # subscribers, not counted (Junction: the realm's WAMP meta events, wamp/session/on_join ..., which # covers)`);
    }
    if (r.workload === workload && r.serverCoresEach) lines.push(`${r.system}: server cores by process, the parent first: ${r.serverCoresEach.map((cores) => fixed(cores, 2)).join(', ')}`);
    const nodes = Object.entries(r.subscribersPerNode ?? {});
    if (r.workload === workload && nodes.length > 1) lines.push(`${r.system}: subscribers per router node: ${nodes.map(([node, count]) => `${node} ${integer(count)}`).join(', ')}`);
  }
  const lean = results.filter((r) => r.workload === workload && r.subscriberClient === 'lean').map((r) => r.system);
  if (lean.length > 0) lines.push(`Lean subscribers (bulk reads, sequence numbers scanned, no latency recorded): ${lean.join(', ')}`);
  return lines.join('\n');
}

/** Issue #14's latency targets: RPC p99 <= 1 ms at half load; fan-out p99 no worse than the relay's. */
function latencyVerdicts(workload, results) {
  const junction = resultOf(results, workload, 'junction');
  if (!junction || junction.p99Ms === null) return [];
  if (workload === 'rpc-latency') {
    const verdict = (ms) => (ms <= RPC_P99_TARGET_MS ? 'meets' : 'MISSES');
    return [
      `Junction p99 ${fixed(junction.p99Ms, 2)} ms from the schedule at ${integer(junction.offeredRate)} calls/s offered (${verdict(junction.p99Ms)} the ${RPC_P99_TARGET_MS} ms target);`,
      `  ${fixed(junction.p99FromSendMs, 2)} ms from the actual send (${verdict(junction.p99FromSendMs)} it), the load generator sending up to ${fixed(junction.sendLagP99Ms, 2)} ms late (p99)`,
    ];
  }
  const relay = resultOf(results, workload, 'relay');
  if (workload === 'fanout-latency' && relay && relay.p99Ms !== null) {
    return [`Junction p99 ${fixed(junction.p99Ms, 2)} ms vs relay ${fixed(relay.p99Ms, 2)} ms (${junction.p99Ms <= relay.p99Ms ? 'meets' : 'MISSES'} the no-worse-than-relay target)`];
  }
  return [];
}

/** Each Junction system against Junction on WebSocket: throughput and server CPU per message. */
function transportLines(workload, results, unit) {
  const base = resultOf(results, workload, 'junction');
  if (!base) return [];
  return results
    .filter((r) => r.workload === workload && r.system.startsWith('junction-') && !r.error)
    .map((r) => {
      const share = base.throughput > 0 ? fixed((r.throughput / base.throughput) * 100, 1) : 'n/a';
      const cpu = `${fixed(r.serverMicrosPerMessage, 2)} vs ${fixed(base.serverMicrosPerMessage, 2)} µs`;
      const delta = r.serverMicrosPerMessage !== null && base.serverMicrosPerMessage !== null
        ? ` (${r.serverMicrosPerMessage >= base.serverMicrosPerMessage ? '+' : ''}${fixed(r.serverMicrosPerMessage - base.serverMicrosPerMessage, 2)})`
        : '';
      return `${r.system} vs junction: ${unit} ${share}%, server CPU ${cpu}${delta}`;
    });
}

/**
 * The routers' GC in the measured window, every round of `workload` (from their --router-log
 * trace, lib/gc-trace.mjs); '' when no round has one. Per message: per delivered event,
 * completed call, publication or join, as the workload's throughput counts them.
 */
export function formatGc(workload, allRounds) {
  const traced = allRounds.filter((r) => r.workload === workload && r.gc);
  if (traced.length === 0) return '';
  const { perMessage } = WORKLOADS[workload];
  const message = perMessage.replace(/^server µs\//, '');
  const kbPer = (r, bytesPerSecond) => (r.throughput > 0 ? fixed(bytesPerSecond / r.throughput / 1000, 2) : 'n/a');
  const rows = traced.map((r) => [
    `${r.system} #${r.round}`,
    fixed(r.gc.scavengesPerSecond, 1),
    fixed(r.gc.meanScavengeMs, 2),
    fixed(r.gc.maxScavengeMs, 2),
    String(r.gc.otherCollections),
    fixed(r.gc.pausedShare * 100, 2),
    fixed(r.gc.allocatedPerSecond / 1e6, 1),
    kbPer(r, r.gc.allocatedPerSecond),
    kbPer(r, r.gc.survivedPerSecond),
    kbPer(r, r.gc.promotedPerSecond),
  ]);
  const headers = ['router, round', 'scavenges/s', 'mean ms', 'max ms', 'other GCs', 'paused %', 'alloc MB/s', `alloc KB/${message}`, `survived KB/${message}`, `promoted KB/${message}`];
  return `GC in the router during the measured window (--trace-gc-nvp in --router-log)\n\n${table(headers, rows)}`;
}
