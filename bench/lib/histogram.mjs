/**
 * A latency histogram with logarithmic buckets (about 2% relative precision), so a workload can
 * record millions of samples in constant memory and several processes can merge their counts.
 * Values are microseconds; anything below 1 µs (including small negative cross-process clock
 * differences) lands in the first bucket.
 */

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
// 1 µs .. ~10^9 µs (over 15 minutes) fits in this many buckets.
const BUCKETS = Math.ceil(Math.log(1e9) / LOG_GROWTH) + 2;

export class Histogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.total = 0;
  }

  record(micros) {
    const index = micros < 1 ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(micros) / LOG_GROWTH));
    this.counts[index] += 1;
    this.total += 1;
  }

  /** A plain object that survives process.send (typed arrays do not round-trip over IPC). */
  toJSON() {
    const sparse = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] > 0) sparse.push([i, this.counts[i]]);
    return { total: this.total, sparse };
  }

  static fromJSON(data) {
    const histogram = new Histogram();
    histogram.add(data);
    return histogram;
  }

  /** Adds another histogram's counts (a Histogram or its toJSON form). */
  add(other) {
    const data = other instanceof Histogram ? other.toJSON() : other;
    for (const [index, count] of data.sparse) this.counts[index] += count;
    this.total += data.total;
  }

  /** The value (µs) at quantile q in [0, 1], taken as the upper edge of its bucket; null if empty. */
  quantile(q) {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i === 0 ? 1 : Math.pow(GROWTH, i);
    }
    return Math.pow(GROWTH, BUCKETS - 1);
  }
}
