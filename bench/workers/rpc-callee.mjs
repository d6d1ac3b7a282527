import { connectClient } from '../clients/index.mjs';
import { now } from '../lib/clock.mjs';
import { Histogram } from '../lib/histogram.mjs';
import { childSettings, fail, onParent, tell } from '../lib/worker-ipc.mjs';

/**
 * The single callee: registers the procedure and answers every invocation with its own args.
 * In the open loop (a 'go' with the window) it also times each invocation from when its call was
 * due (args[0], the callers' schedule) to its arrival here, for calls due inside the window: the
 * forward leg (caller, router, callee's read) of the latency the callers measure, so a tail can
 * be placed before or after the callee. Reported on 'report'.
 */

const settings = childSettings();
const toCallee = new Histogram();
let window = null;

function timeArrival(args) {
  const due = Array.isArray(args) ? args[0] : undefined;
  if (window === null || typeof due !== 'number' || due < window.warmupEnd || due >= window.measureEnd) return;
  toCallee.record((now() - due) * 1000);
}

async function main() {
  const client = await connectClient(settings.target);
  await client.register(settings.procedure, (args) => {
    timeArrival(args);
    return args;
  });
  onParent('go', (message) => {
    window = message;
  });
  onParent('report', () => tell({ type: 'report', toCallee: toCallee.toJSON() }));
  onParent('close', () => {
    client.close();
    setTimeout(() => process.exit(0), 200);
  });
  tell({ type: 'ready' });
}

main().catch(fail);
