/**
 * A preload for a Junction router under the bench's rpc-latency (diagnosis only):
 *   node bench/run.mjs --only rpc-latency ... '--router-node-flags=--import /abs/bench/lib/dealer-probe.mjs' --router-log DIR
 * The bench's callers put each call's scheduled time (ms since the epoch, clock.mjs now(), the
 * same clock in every process) in args[0], and the callee echoes it. This wraps the router's
 * Dealer to time, from that schedule, the router's handling of each CALL (the caller-to-router
 * leg) and of each YIELD (up to the callee's answer arriving back); one stderr line a second
 * with p50/p99 of each. With the callee's "p99 to callee" it places the tail between the legs.
 */
import { Dealer } from '../../dist/src/router/dealer/dealer.js';
import { now } from './clock.mjs';
import { Histogram } from './histogram.mjs';

const atCall = new Histogram();
const atYield = new Histogram();

function timeFromSchedule(histogram, message) {
  const due = message?.args?.[0];
  if (typeof due === 'number' && due > 1e12) histogram.record((now() - due) * 1000);
}

const { call, yield: answer } = Dealer.prototype;
Dealer.prototype.call = function timedCall(caller, message, ...rest) {
  timeFromSchedule(atCall, message);
  return call.call(this, caller, message, ...rest);
};
Dealer.prototype.yield = function timedYield(callee, message, ...rest) {
  timeFromSchedule(atYield, message);
  return answer.call(this, callee, message, ...rest);
};

const ms = (histogram, q) => ((histogram.quantile(q) ?? 0) / 1000).toFixed(2);
setInterval(() => {
  if (atCall.total === 0) return;
  process.stderr.write(
    `dealer-probe calls ${atCall.total} schedule->CALL read p50 ${ms(atCall, 0.5)} p99 ${ms(atCall, 0.99)} ms` +
      ` | schedule->YIELD read p50 ${ms(atYield, 0.5)} p99 ${ms(atYield, 0.99)} ms\n`,
  );
  atCall.counts.fill(0);
  atCall.total = 0;
  atYield.counts.fill(0);
  atYield.total = 0;
}, 1000).unref();
