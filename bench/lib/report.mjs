/**
 * Human-readable tables and ratios for the results of one run.
 */

export const TARGETS = { fanout: 0.6, rpc: 0.5 }; // Junction throughput as a share of the relay's

export const LEGEND = `Columns: throughput and latencies are from each system's median round; "rounds range" is the
lowest and highest throughput over rounds. "server µs/event|call" is the server process's CPU time
per delivered event or completed call, the median over rounds (lower is better; the least noisy
figure on a shared machine).
"server/client cores" are the cores the server and the load generators used during the measured
window, "idle cores" what the whole machine left unused. Fan-out latency includes queueing
within the bounded number of events in transit (--max-queued), so under saturation it mostly
reflects that bound: compare it between systems, not with other benchmarks. In the publish
workload "server µs/pub" is per publication (all its deliveries included), and "events/s" the
deliveries summed over its subscribers. "vs junction" lines compare each Junction transport with
Junction on WebSocket in the same run: throughput, and server CPU per message.`;

const TITLES = {
  fanout: (o) => `Fan-out: 1 publisher -> ${o.subscribers} subscribers on one topic (events delivered/s, publish-to-delivery latency)`,
  rpc: (o) => `RPC: 1 callee, ${o.callers} concurrent callers, one call in flight each (calls/s, round-trip latency)`,
  publish: (o) => `Publish: 1 publisher, ${o.window} publications in flight -> ${o.publishSubscribers} subscribers (publications/s, publish-to-delivery latency)`,
};
const UNITS = { fanout: 'events/s', rpc: 'calls/s', publish: 'pub/s' };
const PER_MESSAGE = { fanout: 'server µs/event', rpc: 'server µs/call', publish: 'server µs/pub' };

function fixed(value, digits) {
  return value === null || value === undefined ? 'n/a' : value.toFixed(digits);
}

function integer(value) {
  return Math.round(value).toLocaleString('en-US');
}

function table(headers, rows) {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function ratio(results, workload, numerator, denominator) {
  const top = results.find((r) => r.workload === workload && r.system === numerator && !r.error);
  const bottom = results.find((r) => r.workload === workload && r.system === denominator && !r.error);
  return top && bottom && bottom.throughput > 0 ? top.throughput / bottom.throughput : null;
}

function problems(result) {
  if (result.error) return 'FAILED';
  const notes = [];
  if (result.lost) notes.push(`${integer(result.lost)} lost`);
  if (result.reordered) notes.push(`${integer(result.reordered)} reordered`);
  if (result.duplicates) notes.push(`${integer(result.duplicates)} duplicates`);
  if (result.publishErrors) notes.push(`${integer(result.publishErrors)} publish errors`);
  if (result.callErrors) notes.push(`${integer(result.callErrors)} call errors`);
  if (result.failedRounds) notes.push(`${result.failedRounds} failed rounds`);
  return notes.join(', ') || 'none';
}

export function formatWorkload(workload, results, options) {
  const unit = UNITS[workload];
  const withEvents = workload === 'publish';
  const showRange = options.rounds > 1;
  const range = (r) => (r.roundThroughputs ? `${integer(Math.min(...r.roundThroughputs))}-${integer(Math.max(...r.roundThroughputs))}` : 'n/a');
  const rows = results
    .filter((r) => r.workload === workload)
    .map((r) => {
      const cells = r.error
        ? [r.system, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'FAILED']
        : [
            r.system,
            integer(r.throughput),
            range(r),
            fixed(r.p50Ms, 2),
            fixed(r.p99Ms, 2),
            fixed(r.serverMicrosPerMessage, 2),
            fixed(r.serverCores, 2),
            fixed(r.clientCores, 2),
            fixed(r.idleCores, 2),
            problems(r),
          ];
      if (withEvents) cells.splice(2, 0, r.error ? 'n/a' : integer(r.eventsPerSecond));
      if (!showRange) cells.splice(withEvents ? 3 : 2, 1);
      return cells;
    });
  const headers = ['system', unit, 'rounds range', 'p50 ms', 'p99 ms', PER_MESSAGE[workload], 'server cores', 'client cores', 'idle cores', 'problems'];
  if (withEvents) headers.splice(2, 0, 'events/s');
  if (!showRange) headers.splice(withEvents ? 3 : 2, 1);
  const lines = [TITLES[workload](options), '', table(headers, rows), ''];
  const vsRelay = ratio(results, workload, 'junction', 'relay');
  const vsSocketIo = ratio(results, workload, 'junction', 'socketio');
  if (vsRelay !== null) {
    const target = TARGETS[workload];
    const verdict = target === undefined ? '' : `  (${vsRelay >= target ? 'meets' : 'MISSES'} the ${target * 100}% target)`;
    lines.push(`Junction/relay ${unit}:     ${fixed(vsRelay * 100, 1)}%${verdict}`);
  }
  if (vsSocketIo !== null) lines.push(`Junction/Socket.IO ${unit}: ${fixed(vsSocketIo * 100, 1)}%`);
  const vsCorked = ratio(results, workload, 'junction', 'relay-corked');
  if (vsCorked !== null) lines.push(`Junction/relay-corked ${unit}: ${fixed(vsCorked * 100, 1)}%`);
  const vsFramed = ratio(results, workload, 'junction', 'relay-framed');
  if (vsFramed !== null) lines.push(`Junction/relay-framed ${unit}: ${fixed(vsFramed * 100, 1)}%`);
  lines.push(...transportLines(workload, results, unit));
  for (const r of results) {
    if (r.workload === workload && r.error) lines.push(`${r.system} failed: ${r.error}`);
    else if (r.workload === workload && r.firstError) lines.push(`${r.system} first error: ${r.firstError}`);
    if (r.workload === workload && r.outOfPublishOrder) {
      lines.push(`${r.system}: ${integer(r.outOfPublishOrder)} events arrived out of publish order (concurrent POSTs on ${options.window} connections: expected, not a fault)`);
    }
    if (r.workload === workload && r.roundError) lines.push(`${r.system}: ${r.failedRounds} round(s) failed, first: ${r.roundError}`);
  }
  return lines.join('\n');
}

/** Each Junction transport against Junction on WebSocket: throughput and server CPU per message. */
function transportLines(workload, results, unit) {
  const base = results.find((r) => r.workload === workload && r.system === 'junction' && !r.error);
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
