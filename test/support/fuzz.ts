import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CaptureLog } from '../auth/support/capture-log.js';
import { openAutobahn, type OpenSession } from './autobahn.js';
import { waitFor } from './wait.js';

/**
 * What every fuzz test shares: one seed per run (printed when a property fails; FUZZ_SEED=<seed>
 * replays it), a budget scaled by FUZZ_RUNS, a watch for what must never happen while a door is
 * fuzzed, a well-behaved WAMP bystander, and the gauges that must come back once a fuzzer leaves.
 */

export const fuzzSeed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const fuzzScale = Number(process.env.FUZZ_RUNS ?? 1);

/** `n` runs times FUZZ_RUNS (at least one). */
export const fuzzRuns = (n: number): number => Math.max(1, Math.round(n * fuzzScale));

/** Asserts `property` over fuzzRuns(numRuns) inputs with the one seed, naming the seed when it fails. */
export async function checkFuzz<Ts extends [unknown, ...unknown[]]>(name: string, property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>, numRuns: number): Promise<void> {
  try {
    await fc.assert(property, { seed: fuzzSeed, numRuns: fuzzRuns(numRuns) });
  } catch (error) {
    const cause = (error as Error).cause;
    throw new Error(`fuzz "${name}" failed; replay with FUZZ_SEED=${fuzzSeed}\n${(error as Error).message}${cause instanceof Error ? `\n${cause.message}` : ''}`);
  }
}

/**
 * Records what a fuzzed node must never do: an uncaught exception or unhandled rejection in this
 * process (the node runs in it), or an error-level log line. `assertQuiet` fails with the first.
 */
export class CrashWatch {
  private readonly crashes: string[] = [];
  private readonly onCrash = (error: unknown) => this.crashes.push(error instanceof Error ? error.stack ?? error.message : String(error));

  constructor(private readonly log: CaptureLog) {
    process.on('uncaughtException', this.onCrash);
    process.on('unhandledRejection', this.onCrash);
  }

  assertQuiet(what: string): void {
    assert.deepEqual(this.crashes, [], `uncaught errors after ${what}`);
    const errors = this.log.lines.filter((line) => line.level === 'error');
    assert.deepEqual(errors, [], `error-level log lines after ${what}`);
  }

  stop(): void {
    process.off('uncaughtException', this.onCrash);
    process.off('unhandledRejection', this.onCrash);
  }
}

/** The values of these gauges (every labelled series of each) in a metrics exposition. */
export function gauges(exposition: string, names: readonly string[]): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of exposition.split('\n')) {
    if (!names.some((name) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))) continue;
    const at = line.lastIndexOf(' ');
    values[line.slice(0, at)] = Number(line.slice(at + 1));
  }
  return values;
}

/** Waits until the gauges are back at `baseline` (a series absent then counts as 0). */
export async function gaugesBackTo(exposition: () => string, baseline: Record<string, number>, names: readonly string[], timeoutMs = 10_000): Promise<void> {
  const differences = () => {
    const now = gauges(exposition(), names);
    return [...new Set([...Object.keys(now), ...Object.keys(baseline)])]
      .filter((series) => (now[series] ?? 0) !== (baseline[series] ?? 0))
      .map((series) => `${series}: ${baseline[series] ?? 0} -> ${now[series] ?? 0}`);
  };
  await waitFor(() => differences().length === 0, 'the gauges to come back', timeoutMs).catch(() => {
    assert.fail(`the gauges did not come back to their baseline: ${differences().join(', ')}`);
  });
}

/**
 * A well-behaved WAMP client beside the fuzzer: it subscribes to a topic and registers a procedure;
 * `works` publishes and receives, and calls and gets the result, over its own connection.
 */
export class WampBystander {
  private readonly received: unknown[] = [];
  private round = 0;

  private constructor(readonly open: OpenSession) {}

  static async join(url: string): Promise<WampBystander> {
    const bystander = new WampBystander(await openAutobahn(url));
    await bystander.open.session.subscribe('bystander.events', (args: unknown[]) => bystander.received.push(args[0]));
    await bystander.open.session.register('bystander.echo', (args: unknown[]) => args[0]);
    return bystander;
  }

  /** The topic a WAMP publisher reaches the bystander on. */
  get events(): unknown[] {
    return this.received;
  }

  async works(what: string): Promise<void> {
    this.round += 1;
    const mark = `round-${this.round}`;
    await this.open.session.publish('bystander.events', [mark], {}, { acknowledge: true, exclude_me: false });
    await waitFor(() => this.received.includes(mark), `the bystander's own event ${what}`);
    assert.equal(await this.open.session.call('bystander.echo', [mark]), mark, `the bystander's call ${what}`);
  }

  close(): Promise<void> {
    return this.open.close();
  }
}
