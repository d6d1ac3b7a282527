/**
 * Reads a router's V8 GC trace (node --trace-gc --trace-gc-nvp, kept with --router-log) and sums
 * up the collections inside a workload's measured window: how often the young generation is
 * scavenged and for how long, how much is allocated, and how much survives a scavenge (copied
 * within the young generation) or is promoted to the old one. Scavenge time grows with what
 * survives, so the survivors, not only the allocation, decide the pauses.
 */

// One --trace-gc-nvp line: "[pid:0xisolate]   1234 ms: pause=1.2 mutator=3.4 gc=s ... allocated=N promoted=N ...".
const NVP_LINE = /^\[\d+:0x[0-9a-f]+\]\s+(\d+) ms: (pause=.*)$/;

/** The collections of a trace, in order: { atMs (since the isolate started), kind, pauseMs, allocated, promoted, survived } (bytes). */
export function parseGcTrace(text) {
  const events = [];
  for (const line of text.split('\n')) {
    const match = NVP_LINE.exec(line.trim());
    if (!match) continue;
    const fields = Object.fromEntries(match[2].split(' ').map((pair) => pair.split('=')));
    events.push({
      atMs: Number(match[1]),
      kind: fields.gc,
      pauseMs: Number(fields.pause),
      allocated: Number(fields.allocated),
      promoted: Number(fields.promoted),
      survived: Number(fields.new_space_survived ?? 0),
    });
  }
  return events;
}

/**
 * The collections between `fromMs` and `toMs` (the trace's clock) per second of that window:
 * scavenges (gc=s) and full collections (gc=mc, and its incremental/minor variants counted
 * apart), their pause times, the share of the window spent paused, bytes allocated, promoted
 * and surviving a scavenge. `allocated` is what was allocated since the previous collection, so
 * a window's first collection brings some allocation from before it: windows of a few seconds
 * at 15+ scavenges a second make that small.
 */
export function summarizeGc(events, fromMs, toMs) {
  const seconds = (toMs - fromMs) / 1000;
  if (!(seconds > 0)) throw new Error(`an empty GC window: ${fromMs} to ${toMs} ms`);
  const inside = events.filter((event) => event.atMs >= fromMs && event.atMs < toMs);
  const scavenges = inside.filter((event) => event.kind === 's');
  const sum = (list, key) => list.reduce((total, event) => total + event[key], 0);
  const pausedMs = sum(inside, 'pauseMs');
  return {
    seconds,
    scavengesPerSecond: scavenges.length / seconds,
    meanScavengeMs: scavenges.length === 0 ? null : sum(scavenges, 'pauseMs') / scavenges.length,
    maxScavengeMs: scavenges.length === 0 ? null : Math.max(...scavenges.map((event) => event.pauseMs)),
    otherCollections: inside.length - scavenges.length,
    pausedShare: pausedMs / (seconds * 1000),
    allocatedPerSecond: sum(inside, 'allocated') / seconds,
    survivedPerSecond: sum(scavenges, 'survived') / seconds,
    promotedPerSecond: sum(inside, 'promoted') / seconds,
  };
}
