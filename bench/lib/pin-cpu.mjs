/**
 * A preload that pins the process it is loaded into to one CPU (Linux `taskset`), for the
 * bench's contention experiments (diagnosis only). Loaded into every process through
 * NODE_OPTIONS, it pins only the processes whose script matches BENCH_PIN_SCRIPT (a regular
 * expression) to BENCH_PIN_CPU; with the bench itself under `taskset -c 1`, the server then has
 * cpu 0 to itself and the load generators share cpu 1:
 *   BENCH_PIN_CPU=0 BENCH_PIN_SCRIPT='junction.js|relay-server' NODE_OPTIONS='--import /abs/bench/lib/pin-cpu.mjs' \
 *     taskset -c 1 node bench/run.mjs --only rpc-latency ...
 */
import { execFileSync } from 'node:child_process';

const { BENCH_PIN_CPU: cpu, BENCH_PIN_SCRIPT: script } = process.env;
if (cpu !== undefined && script !== undefined && new RegExp(script).test(process.argv[1] ?? '')) {
  execFileSync('taskset', ['-pc', cpu, String(process.pid)], { stdio: 'ignore' });
}
