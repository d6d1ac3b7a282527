#!/usr/bin/env node
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { connectWamp } from './clients/wamp-client.mjs';
import { runEntryPoint, stopEverythingAfter } from './lib/children.mjs';
import { readCommandLine } from './lib/options.mjs';
import { startSystem } from './systems.mjs';
import { runFanout } from './workloads/fanout.mjs';

/**
 * Pattern-heavy fan-out (the Advanced Profile issue's speed check). The usual fan-out workload
 * (workloads/fanout.mjs: one publisher, N subscribers on "bench.fanout") runs against Junction
 * twice per round:
 *
 *   exact-only     the realm also holds E distinct exact subscriptions (default 10,000)
 *   pattern-heavy  the same, plus P prefix and W wildcard subscriptions (default 1,000 each)
 *
 * The extra subscriptions belong to one idle "loader" session and never match the published
 * topic, so both scenarios deliver the same events and the difference is the cost of the match
 * indexes on each publish. The patterns share the topic's leading characters and components,
 * so the prefix trie and the wildcard index really walk on every publish. The figure is the
 * ratio of the pattern-heavy to the exact-only publish rate (target: at least 80%).
 */

const USAGE = `Usage: node bench/pattern-fanout.mjs [options]     (build first: npm run build)

  --subscribers N     fan-out subscriber sessions on the published topic (default 100)
  --exact E           extra distinct exact subscriptions in the realm (default 10000)
  --prefix P          extra prefix subscriptions in the pattern-heavy scenario (default 1000)
  --wildcard W        extra wildcard subscriptions in the pattern-heavy scenario (default 1000)
  --duration S        measured seconds per scenario and round (default 3)
  --warmup S          warm-up seconds (default 1)
  --rounds R          rounds, alternating which scenario runs first; the median round counts (default 3)
  --serializer NAME   json | msgpack | cbor (default json)
  --window W          publications sent but not yet acknowledged (default 16)
  --max-queued E      events in transit over all subscribers (default 16000)
  --payload-bytes B   padding in every event (default 64)
  --json              machine-readable results on stdout
  -h, --help          this text
`;

const PER_RUN_BUDGET_MS = 150_000;

function progress(text) {
  process.stderr.write(`[pattern-fanout] ${text}\n`);
}

function count(name, text, { allowZero = true } = {}) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${text}"`);
  return value;
}

function seconds(name, text) {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got "${text}"`);
  return value;
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      subscribers: { type: 'string', default: '100' },
      exact: { type: 'string', default: '10000' },
      prefix: { type: 'string', default: '1000' },
      wildcard: { type: 'string', default: '1000' },
      duration: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '3' },
      serializer: { type: 'string', default: 'json' },
      window: { type: 'string', default: '16' },
      'max-queued': { type: 'string', default: '16000' },
      'payload-bytes': { type: 'string', default: '64' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (!['json', 'msgpack', 'cbor'].includes(values.serializer)) throw new Error(`--serializer must be json, msgpack or cbor, got "${values.serializer}"`);
  const duration = seconds('duration', values.duration);
  if (duration === 0) throw new Error('--duration must be positive');
  return {
    help: values.help,
    json: values.json,
    subscribers: count('subscribers', values.subscribers, { allowZero: false }),
    exact: count('exact', values.exact),
    prefix: count('prefix', values.prefix),
    wildcard: count('wildcard', values.wildcard),
    duration,
    warmup: seconds('warmup', values.warmup),
    rounds: count('rounds', values.rounds, { allowZero: false }),
    serializer: values.serializer,
    window: count('window', values.window, { allowZero: false }),
    maxQueued: count('max-queued', values['max-queued'], { allowZero: false }),
    payloadBytes: count('payload-bytes', values['payload-bytes']),
    // What workloads/fanout.mjs also reads.
    clientProcs: 1,
    hardTimeoutMs: PER_RUN_BUDGET_MS,
  };
}

/**
 * The loader's subscriptions. The published topic is "bench.fanout" (two components):
 *   exact     "bench.exact.<i>"
 *   prefix    "bench.fanout.p<i>" and "bench.fanouu<i>": they share the topic's path in the trie
 *             (the first as an extension of the whole topic), yet none is a prefix of it
 *   wildcard  ".w<i>" (two components: the walk takes the wildcard branch, then misses) and
 *             "bench..w<i>" (three components: it reaches depth two and finds no value there)
 */
function loaderSubscriptions(options, withPatterns) {
  const list = [];
  for (let i = 0; i < options.exact; i++) list.push([{}, `bench.exact.${i}`]);
  if (!withPatterns) return list;
  for (let i = 0; i < options.prefix; i++) list.push([{ match: 'prefix' }, i % 2 ? `bench.fanout.p${i}` : `bench.fanouu${i}`]);
  for (let i = 0; i < options.wildcard; i++) list.push([{ match: 'wildcard' }, i % 2 ? `.w${i}` : `bench..w${i}`]);
  return list;
}

const SUBSCRIBE = 32;
const BATCH = 500;

async function runScenario(scenario, options) {
  const withPatterns = scenario === 'pattern-heavy';
  progress(`${scenario}: starting junction`);
  const server = await startSystem('junction', options);
  let loader;
  try {
    loader = await connectWamp({ url: server.url, serializer: options.serializer });
    const subscriptions = loaderSubscriptions(options, withPatterns);
    // In batches, so that the loader never has thousands of requests unanswered at once.
    for (let i = 0; i < subscriptions.length; i += BATCH) {
      await Promise.all(subscriptions.slice(i, i + BATCH).map(([subscribeOptions, topic]) => loader.request([SUBSCRIBE, 0, subscribeOptions, topic])));
    }
    progress(`${scenario}: ${subscriptions.length} extra subscriptions in place; running (${options.warmup} s warm-up + ${options.duration} s measured)`);
    const result = await runFanout(server, options);
    return { scenario, extraSubscriptions: subscriptions.length, ...result, publicationsPerSecond: result.throughput / options.subscribers };
  } finally {
    loader?.close();
    await server.stop();
  }
}

/** The successful round with the median publish rate (the lower middle one for an even count). */
function median(results) {
  const succeeded = results.filter((r) => !r.error).sort((a, b) => a.publicationsPerSecond - b.publicationsPerSecond);
  if (succeeded.length === 0) return results[0];
  return { ...succeeded[Math.floor((succeeded.length - 1) / 2)], rounds: succeeded.map((r) => r.publicationsPerSecond), failedRounds: results.length - succeeded.length };
}

function integer(value) {
  return Math.round(value).toLocaleString('en-US');
}

function fixed(value, digits) {
  return value === null || value === undefined ? 'n/a' : value.toFixed(digits);
}

function report(rows, options, ratio) {
  const headers = ['scenario', 'extra subs', 'publications/s', 'events/s', 'rounds range (pub/s)', 'p50 ms', 'p99 ms', 'server µs/event', 'idle cores', 'problems'];
  const cells = rows.map((r) => r.error
    ? [r.scenario, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', `FAILED: ${r.error}`]
    : [
      r.scenario, integer(r.extraSubscriptions), integer(r.publicationsPerSecond), integer(r.throughput),
      `${integer(Math.min(...r.rounds))}-${integer(Math.max(...r.rounds))}`, fixed(r.p50Ms, 2), fixed(r.p99Ms, 2),
      fixed(r.serverMicrosPerMessage, 2), fixed(r.idleCores, 2),
      [r.lost ? `${r.lost} lost` : '', r.reordered ? `${r.reordered} reordered` : '', r.publishErrors ? `${r.publishErrors} publish errors` : '',
        r.failedRounds ? `${r.failedRounds} failed rounds` : ''].filter(Boolean).join(', ') || 'none',
    ]);
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => row[i].length)));
  const line = (row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  const verdict = ratio === null ? 'n/a' : `${(ratio * 100).toFixed(1)}% (target >= 80%: ${ratio >= 0.8 ? 'met' : 'NOT met'})`;
  return [
    `Pattern-heavy fan-out: 1 publisher -> ${options.subscribers} subscribers on "bench.fanout"; ${integer(options.exact)} exact`
      + ` subscriptions, plus ${integer(options.prefix)} prefix and ${integer(options.wildcard)} wildcard ones in the pattern-heavy scenario`,
    '',
    line(headers),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
    '',
    `pattern-heavy / exact-only publications/s: ${verdict}`,
  ].join('\n');
}

async function main() {
  const { options, exitCode } = readCommandLine(parseOptions, USAGE);
  if (!options) return exitCode;
  stopEverythingAfter(options.rounds * 2 * PER_RUN_BUDGET_MS, progress, 'the whole run took too long; stopping everything');

  const all = [];
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? ['exact-only', 'pattern-heavy'] : ['pattern-heavy', 'exact-only'];
    for (const scenario of order) {
      progress(`round ${round + 1} of ${options.rounds}: ${scenario}`);
      try {
        all.push({ round: round + 1, ...(await runScenario(scenario, options)) });
      } catch (error) {
        progress(`${scenario} failed: ${error.message}`);
        all.push({ round: round + 1, scenario, error: error.message });
      }
    }
  }
  const rows = ['exact-only', 'pattern-heavy'].map((scenario) => median(all.filter((r) => r.scenario === scenario)));
  const [exactOnly, patternHeavy] = rows;
  const ratio = !exactOnly.error && !patternHeavy.error ? patternHeavy.publicationsPerSecond / exactOnly.publicationsPerSecond : null;
  const environment = { date: new Date().toISOString(), node: process.version, cpus: availableParallelism(), platform: `${process.platform} ${process.arch}` };
  if (options.json) {
    const { hardTimeoutMs, help, json, ...settings } = options;
    process.stdout.write(`${JSON.stringify({ environment, settings, results: rows, ratio, allRounds: all }, null, 2)}\n`);
  } else {
    process.stdout.write(`\nJunction pattern fan-out, ${environment.date}, node ${environment.node}, ${environment.cpus} CPUs, serializer ${options.serializer}, `
      + `${options.warmup} s warm-up + ${options.duration} s measured, median of ${options.rounds} rounds\n\n${report(rows, options, ratio)}\n`);
  }
  return all.some((r) => r.error || r.lost || r.publishErrors) ? 1 : 0;
}

runEntryPoint(main, progress);
