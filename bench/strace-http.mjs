#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { connectClient } from './clients/index.mjs';
import { runEntryPoint } from './lib/children.mjs';
import { startSystem } from './systems.mjs';

/**
 * The server's system calls per HTTP publication: starts one HTTP system (relay-http,
 * relay-http-raw, junction-http; or junction, relay-framed for a WAMP or relay publication over
 * WebSocket, 16 in flight, to compare with), subscribes one WebSocket subscriber, attaches
 * `strace -c -f` to the server and publishes --publications POSTs through the bench's HTTP publisher (undici, 16
 * keep-alive connections x 1 POST in flight, or --http-pipelining 16 on one connection). Prints
 * strace's table and each call's count per publication, and from an untraced run of the same
 * size before it the server's user and system CPU µs per publication (/proc/PID/stat). With
 * --perf FILE it samples the server with `perf record` into FILE instead of strace (read it with
 * `perf report -i FILE --sort dso,sym`). Linux with strace (or perf) only.
 * Usage: node bench/strace-http.mjs --system relay-http-raw [--publications 20000] [--http-pipelining P] [--perf FILE]
 */

const { values } = parseArgs({
  options: {
    system: { type: 'string', default: 'relay-http-raw' },
    publications: { type: 'string', default: '20000' },
    'http-pipelining': { type: 'string', default: '1' },
    perf: { type: 'string' },
  },
});
const TOPIC = 'bench.strace';
const IN_FLIGHT = 16;
const WARM_UP = 20_000;

async function main() {
  const publications = Number(values.publications);
  const server = await startSystem(values.system, { window: IN_FLIGHT, httpPipelining: Number(values['http-pipelining']), serializer: 'json', hardTimeoutMs: 120_000 });
  try {
    const subscriber = await connectClient({ serializer: 'json', ...server.clients.subscriber });
    let delivered = 0;
    await subscriber.subscribe(TOPIC, () => delivered++);
    const publisher = await connectClient({ serializer: 'json', ...server.clients.publisher });
    const run = async (count) => {
      let started = 0;
      const lane = async () => {
        while (started < count) {
          started++;
          await publisher.publish(TOPIC, ['x'.repeat(64)]);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    };
    await run(WARM_UP); // untraced: the JIT settles
    const before = userAndSystemSeconds(server.pid);
    await run(publications);
    const after = userAndSystemSeconds(server.pid);
    const micros = (seconds) => ((seconds * 1e6) / publications).toFixed(2);
    process.stdout.write(`${values.system}, untraced: user ${micros(after.user - before.user)} µs + system ${micros(after.system - before.system)} µs of server CPU per publication\n`);
    // With --perf FILE, `perf record` samples the server instead (user and kernel, by binary and symbol).
    const tracer = values.perf
      ? ['perf', ['record', '-F', '1999', '-p', String(server.pid), '-o', values.perf]]
      : ['strace', ['-c', '-f', '-p', String(server.pid)]];
    const strace = spawn(tracer[0], tracer[1], { stdio: ['ignore', 'inherit', 'pipe'] });
    let report = '';
    strace.stderr.on('data', (chunk) => { report += chunk; });
    await new Promise((resolve) => setTimeout(resolve, 500)); // attached
    await run(publications);
    strace.kill('SIGINT');
    await new Promise((resolve) => strace.once('close', resolve));
    const { connections, pipelining } = server.clients.publisher;
    const how = connections ? `${connections} connections x ${pipelining}` : `one ${server.clients.publisher.kind} session, ${IN_FLIGHT} in flight`;
    process.stdout.write(`${values.system}, ${publications} publications (${how}), strace -c -f of the server:\n${report}\n`);
    for (const line of report.split('\n')) {
      const fields = line.trim().split(/\s+/);
      if (fields.length >= 5 && /^\d/.test(fields[0]) && /^\d+$/.test(fields[3])) {
        process.stdout.write(`  ${fields.at(-1).padEnd(16)} ${(Number(fields[3]) / publications).toFixed(3)} per publication\n`);
      }
    }
    publisher.close();
    subscriber.close();
    if (delivered !== 2 * publications + WARM_UP) throw new Error(`the subscriber got ${delivered} of ${2 * publications + WARM_UP} events`);
  } finally {
    await server.stop();
  }
  return 0;
}

/** The process's user and system CPU seconds (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s). */
function userAndSystemSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}

runEntryPoint(main, (text) => process.stderr.write(`[strace-http] ${text}\n`));
