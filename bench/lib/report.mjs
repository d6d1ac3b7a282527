/**
 * Human-readable tables and ratios for the results of one run.
 */

export const TARGETS = { fanout: 0.6, rpc: 0.5 }; // Junction throughput as a share of the relay's

export const LEGEND = `Columns: throughput and latencies are from each system's median round; "rounds range" is the
lowest and highest throughput over rounds. "server µs/event|call" is the server process's CPU time
per delivered event or completed call (lower is better; the least noisy figure on a shared machine).
"server/client cores" are the cores the server and the load generators used during the measured
window, "idle cores" what the whole machine left unused. Fan-out latency includes queueing
within the bounded number of events in transit (--max-queued), so under saturation it mostly
reflects that bound: compare it between systems, not with other benchmarks.`;

const TITLES = {
  fanout: (o) => `Fan-out: 1 publisher -> ${o.subscribers} subscribers on one topic (events delivered/s, publish-to-delivery latency)`,
  rpc: (o) => `RPC: 1 callee, ${o.callers} concurrent callers, one call in flight each (calls/s, round-trip latency)`,
};

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
  if (result.publishErrors) notes.push(`${integer(result.publishErrors)} publish errors`);
  if (result.callErrors) notes.push(`${integer(result.callErrors)} call errors`);
  if (result.failedRounds) notes.push(`${result.failedRounds} failed rounds`);
  return notes.join(', ') || 'none';
}

export function formatWorkload(workload, results, options) {
  const unit = workload === 'fanout' ? 'events/s' : 'calls/s';
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
      if (!showRange) cells.splice(2, 1);
      return cells;
    });
  const perMessage = workload === 'fanout' ? 'server µs/event' : 'server µs/call';
  const headers = ['system', unit, 'rounds range', 'p50 ms', 'p99 ms', perMessage, 'server cores', 'client cores', 'idle cores', 'problems'];
  if (!showRange) headers.splice(2, 1);
  const lines = [TITLES[workload](options), '', table(headers, rows), ''];
  const vsRelay = ratio(results, workload, 'junction', 'relay');
  const vsSocketIo = ratio(results, workload, 'junction', 'socketio');
  if (vsRelay !== null) {
    const verdict = vsRelay >= TARGETS[workload] ? 'meets' : 'MISSES';
    lines.push(`Junction/relay ${unit}:     ${fixed(vsRelay * 100, 1)}%  (${verdict} the ${TARGETS[workload] * 100}% target)`);
  }
  if (vsSocketIo !== null) lines.push(`Junction/Socket.IO ${unit}: ${fixed(vsSocketIo * 100, 1)}%`);
  const vsCorked = ratio(results, workload, 'junction', 'relay-corked');
  if (vsCorked !== null) lines.push(`Junction/relay-corked ${unit}: ${fixed(vsCorked * 100, 1)}%`);
  for (const r of results) {
    if (r.workload === workload && r.error) lines.push(`${r.system} failed: ${r.error}`);
    else if (r.workload === workload && r.firstError) lines.push(`${r.system} first error: ${r.firstError}`);
    if (r.workload === workload && r.roundError) lines.push(`${r.system}: ${r.failedRounds} round(s) failed, first: ${r.roundError}`);
  }
  return lines.join('\n');
}
