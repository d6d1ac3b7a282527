/**
 * The soak test's trend rule. A resource "trends up" when, after the warm-up, the median of the
 * last third of its samples exceeds the median of the first third by more than its tolerance:
 *
 *   late median > early median × (1 + relative) + absolute
 *
 * Medians of thirds, not a fitted slope or first-vs-last sample: one garbage-collection spike,
 * one burst of churn in flight or a neighbour's load on a shared machine moves a few samples, not
 * the middle of a third. The absolute part keeps a small quantity (a handful of handles) from
 * failing on noise; the relative part scales with the size of the process.
 */

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Fewer samples than this after the warm-up (three per third) and the rule cannot decide. */
export const MIN_SAMPLES = 9;

/**
 * { early, late, limit, up } for one series of numbers (the samples after the warm-up, in
 * order) and its tolerance { relative, absolute }; null when there are too few samples.
 */
export function trend(values, { relative, absolute }) {
  if (values.length < MIN_SAMPLES) return null;
  const third = Math.floor(values.length / 3);
  const early = median(values.slice(0, third));
  const late = median(values.slice(values.length - third));
  const limit = early * (1 + relative) + absolute;
  return { early, late, limit, up: late > limit };
}
