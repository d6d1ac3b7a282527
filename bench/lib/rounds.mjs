/**
 * Repeated measurements: the order systems run in each round, and the choice of each system's
 * median round (by throughput), so one noisy run on a small shared machine does not decide a ratio.
 */

/** Round r runs the systems rotated by r places, so none is always first or last. */
export function rotation(systems, round) {
  const shift = round % systems.length;
  return [...systems.slice(shift), ...systems.slice(0, shift)];
}

/**
 * One row per (workload, system): the successful round with the median throughput (the lower
 * middle one for an even count), plus every round's throughput and how many rounds failed.
 * The server's CPU per message is the median over the successful rounds on its own (not the
 * median-throughput round's): on a shared machine it is the steadier figure, and a round that
 * lost throughput to another process should not decide it. A system with no successful round
 * keeps its first error.
 */
export function medianRounds(results) {
  const groups = new Map();
  for (const result of results) {
    const key = `${result.workload}/${result.system}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(result);
  }
  return [...groups.values()].map((group) => {
    const succeeded = group.filter((r) => !r.error).sort((a, b) => a.throughput - b.throughput);
    const failedRounds = group.length - succeeded.length;
    if (succeeded.length === 0) return { ...group[0], failedRounds };
    const median = succeeded[Math.floor((succeeded.length - 1) / 2)];
    const roundError = group.find((r) => r.error)?.error;
    return {
      ...median,
      serverMicrosPerMessage: medianOf(succeeded.map((r) => r.serverMicrosPerMessage)),
      serverMicrosPerEvent: medianOf(succeeded.map((r) => r.serverMicrosPerEvent)),
      roundThroughputs: group.filter((r) => !r.error).map((r) => r.throughput),
      roundServerMicros: succeeded.map((r) => r.serverMicrosPerMessage),
      failedRounds,
      roundError,
    };
  });
}

/** The median (lower middle for an even count) of the known values; null if none is known. */
function medianOf(values) {
  const known = values.filter((value) => value !== null && value !== undefined).sort((a, b) => a - b);
  return known.length === 0 ? null : known[Math.floor((known.length - 1) / 2)];
}
