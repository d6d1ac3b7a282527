// Run by .ci/run after `npm test`: the processes the tests started and left running. .ci/run marks
// the run (JUNCTION_TEST_RUN in the environment every test process and what it starts inherit);
// a process that still carries the mark once the run is over was left behind. Those that are
// ending get a moment to go; any left are listed and the exit code is 1. Linux: reads /proc.
// Needs the build `npm test` made.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { processStat } from '../dist/test/support/owned-process.js';

const mark = process.env.JUNCTION_TEST_RUN;
if (!mark) {
  console.error('.ci/leftovers.mjs: JUNCTION_TEST_RUN is not set: there is no run to look for');
  process.exit(2);
}
/** How long processes that are ending (killed as their test process ended) may take to go. */
const graceMs = 15_000;

/** This process and those it runs under (a `timeout` it was started with carries the mark too). */
const ours = new Set();
for (let pid = process.pid; pid > 1 && !ours.has(pid); pid = processStat(pid)?.ppid ?? 0) ours.add(pid);

/** The processes, other than ours, whose environment carries the mark: `pid state command`. */
function marked() {
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || ours.has(Number(name))) continue;
    try {
      if (!readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(`JUNCTION_TEST_RUN=${mark}`)) continue;
      const state = processStat(Number(name))?.state;
      if (state === undefined || state === 'Z') continue; // exited (a zombie: its parent has yet to reap it)
      found.push(`${name} ${state} ${readFileSync(`/proc/${name}/cmdline`, 'latin1').replaceAll('\0', ' ').trim()}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

let left = marked();
for (const deadline = Date.now() + graceMs; left.length > 0 && Date.now() < deadline; left = marked()) await sleep(500);
if (left.length > 0) {
  console.error(`the tests left ${left.length} process(es) running (pid, state, command line):\n${left.join('\n')}`);
  process.exit(1);
}
console.log('no process the tests started is left');
