/**
 * BENCH_TIME_SCALE=N multiplies the bench's fixed waits (a server's start, a probe, the idle
 * workload's time per join) for a machine N times slower than the one they were set on, such as
 * an emulated guest (bench/vm/run-in-guest.sh --accel tcg). Default 1. Figures are not scaled.
 */
function readTimeScale() {
  const text = process.env.BENCH_TIME_SCALE;
  if (text === undefined || text === '') return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale < 1) throw new Error(`BENCH_TIME_SCALE=${text}: expected a number >= 1`);
  return scale;
}

export const TIME_SCALE = readTimeScale();
