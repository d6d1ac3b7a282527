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
 * The collections between `fromMs` and `toMs` (the trace's clock), per second: scavenges (gc=s)
 * and other collections (mark-compact and its variants), their pause times, the share of the
 * time spent paused, bytes allocated, promoted and surviving a scavenge. A collection reports
 * what was allocated since the one before it, so the rates are over the intervals the window's
 * collections close: from the collection before the window's first (or the window's start) to
 * the window's last. With a few collections a second, dividing by the window instead would be
 * off by up to an interval's allocation.
 */
export function summarizeGc(events, fromMs, toMs) {
  if (!(toMs > fromMs)) throw new Error(`an empty GC window: ${fromMs} to ${toMs} ms`);
  const first = events.findIndex((event) => event.atMs >= fromMs && event.atMs < toMs);
  const inside = first < 0 ? [] : events.slice(first).filter((event) => event.atMs < toMs);
  const spanFrom = first > 0 ? events[first - 1].atMs : fromMs;
  const spanTo = inside.length > 0 ? inside[inside.length - 1].atMs : toMs;
  const seconds = (spanTo - spanFrom) / 1000;
  const scavenges = inside.filter((event) => event.kind === 's');
  const sum = (list, key) => list.reduce((total, event) => total + event[key], 0);
  return {
    seconds,
    scavengesPerSecond: scavenges.length / seconds,
    meanScavengeMs: scavenges.length === 0 ? null : sum(scavenges, 'pauseMs') / scavenges.length,
    maxScavengeMs: scavenges.length === 0 ? null : Math.max(...scavenges.map((event) => event.pauseMs)),
    otherCollections: inside.length - scavenges.length,
    pausedShare: sum(inside, 'pauseMs') / (seconds * 1000),
    allocatedPerSecond: sum(inside, 'allocated') / seconds,
    survivedPerSecond: sum(scavenges, 'survived') / seconds,
    promotedPerSecond: sum(inside, 'promoted') / seconds,
  };
}
