import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import fc from 'fast-check';
import type { JunctionConfig, PathService } from '../../src/config/model.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { openAutobahn, type OpenSession } from './autobahn.js';
import { startTestNode, testConfig } from './node.js';
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

/** A test's time limit for its share of the budget: `ms` times FUZZ_RUNS (a long campaign is not cut short). */
export const fuzzTimeout = (ms: number): number => ms * Math.max(1, fuzzScale);

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

  private constructor(readonly open: OpenSession, private readonly name: string) {}

  /** `name`: the prefix of its topic and procedure (`name.events`, `name.echo`), one per bystander of a node. */
  static async join(url: string, name = 'bystander'): Promise<WampBystander> {
    const bystander = new WampBystander(await openAutobahn(url), name);
    await bystander.open.session.subscribe(`${name}.events`, (args: unknown[]) => bystander.received.push(args[0]));
    await bystander.open.session.register(`${name}.echo`, (args: unknown[]) => args[0]);
    return bystander;
  }

  /** The topic a WAMP publisher reaches the bystander on. */
  get events(): unknown[] {
    return this.received;
  }

  async works(what: string): Promise<void> {
    this.round += 1;
    const mark = `round-${this.round}`;
    await this.open.session.publish(`${this.name}.events`, [mark], {}, { acknowledge: true, exclude_me: false });
    await waitFor(() => this.received.includes(mark), `the bystander's own event ${what}`);
    assert.equal(await this.open.session.call(`${this.name}.echo`, [mark]), mark, `the bystander's call ${what}`);
  }

  close(): Promise<void> {
    return this.open.close();
  }
}

/** A node under fuzzing, the watch on it and a well-behaved WAMP client beside it; `stop` ends all three. */
export interface FuzzedNode {
  node: Awaited<ReturnType<typeof startTestNode>>;
  watch: CrashWatch;
  bystander: WampBystander;
  stop(): Promise<void>;
}

export async function startFuzzedNode(config: JunctionConfig, log: CaptureLog): Promise<FuzzedNode> {
  const node = await startTestNode(config, { log });
  const watch = new CrashWatch(log);
  const bystander = await WampBystander.join(node.url);
  return {
    node, watch, bystander,
    stop: async () => {
      watch.stop();
      await bystander.close();
      await node.stop();
    },
  };
}

/** A suite's fuzzed web paths (fuzzedWebPaths): the node and its port exist once the suite's `before` hook ran. */
export interface FuzzedWebPaths {
  /** A temporary folder for what the paths serve, removed after the suite. */
  readonly home: string;
  readonly log: CaptureLog;
  readonly fuzzed: FuzzedNode;
  /** The test listener's port. */
  readonly port: number;
}

/**
 * The set-up of a suite that fuzzes web paths, called inside its `describe`: a temporary folder,
 * and before the suite's tests a fuzzed node whose test listener also serves the paths `paths`
 * returns (it may first write what they serve into the folder); after them the node is stopped
 * and the folder removed.
 */
export function fuzzedWebPaths(folderPrefix: string, paths: (home: string) => Record<string, PathService>): FuzzedWebPaths {
  const home = mkdtempSync(join(tmpdir(), folderPrefix));
  const log = new CaptureLog();
  let started: FuzzedNode | undefined;
  before(async () => {
    const config = testConfig();
    Object.assign(config.listeners[0]!.paths, paths(home));
    started = await startFuzzedNode(config, log);
  });
  after(async () => {
    await started?.stop();
    rmSync(home, { recursive: true, force: true });
  });
  const fuzzed = (): FuzzedNode => {
    if (started === undefined) throw new Error("the fuzzed node starts in the suite's before hook");
    return started;
  };
  return { home, log, get fuzzed() { return fuzzed(); }, get port() { return fuzzed().node.ports.get('test')!; } };
}

// ---- HTTP doors ----

export interface FuzzRequest {
  method: string;
  /** Path and query as sent (request-target syntax: printable, escaped elsewhere). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface FuzzAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request on a connection of its own. A streaming answer (text/event-stream) is taken as its
 * status and headers, and the connection dropped: the stream itself would never end.
 */
export function exchange(port: number, sent: FuzzRequest): Promise<FuzzAnswer> {
  return new Promise((resolve, reject) => {
    // Node's client frames a GET, DELETE or OPTIONS body with no length at all: the server would read it as the next request.
    const length = sent.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(sent.body)) };
    const request = httpRequest({ host: '127.0.0.1', port, method: sent.method, path: sent.path, headers: { ...sent.headers, ...length }, agent: false }, (response) => {
      if (String(response.headers['content-type']).startsWith('text/event-stream')) {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.alloc(0) });
        response.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    // Node's client hands the answer to a CONNECT to 'connect', with the body still on the socket.
    request.on('connect', (response, socket, head) => {
      const chunks: Buffer[] = [head];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    // A request left unanswered fails here, naming itself, rather than as the test's timeout.
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer in 10 s to ${sent.method} ${sent.path.slice(0, 200)}`)));
    request.end(sent.body);
  });
}

/** `exchange`, a connection cut before the whole answer arrived given as status 0 (the error's message its body). */
export const exchangeOrCut = (port: number, sent: FuzzRequest): Promise<FuzzAnswer> =>
  exchange(port, sent).catch((error: Error) => ({ status: 0, headers: {}, body: Buffer.from(error.message) }));

/** A request-target from fuzzed text: escaped as a URL would be, with some broken escapes left in. */
export const fuzzedPathPart: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 12 }).map((text) => encodeURIComponent(text)),
  fc.string({ maxLength: 12 }).map((text) => encodeURI(text)),
  fc.constantFrom('', '.', '..', '%', '%zz', '%E0%A4%A', '%00', '//', '?', '&', '=', '#', ';', '+', 'x'.repeat(300)),
);

/** A header value: fuzzed text with the characters HTTP forbids in a field value replaced. */
export const fuzzedHeaderValue: fc.Arbitrary<string> = fc.string({ maxLength: 40 })
  .map((text) => text.replace(/[^\t\x20-\x7e]/g, '?').trim());

/**
 * What every answer of an HTTP door must be to a fuzzed request: never a 5xx (no internal error),
 * and a 4xx carries a specific error as JSON: `{"error": "<code>", "message": "<why>"}`.
 */
export function assertSpecificAnswer(answer: FuzzAnswer, sent: FuzzRequest): void {
  const what = `${sent.method} ${sent.path.slice(0, 200)} -> ${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`;
  assert.ok(answer.status < 500, `an internal error: ${what}`);
  if (answer.status < 400 || sent.method === 'HEAD') return;
  assert.match(String(answer.headers['content-type']), /^application\/json/, `a refusal without a JSON body: ${what}`);
  const body = JSON.parse(answer.body.toString('utf8')) as { error?: unknown; message?: unknown };
  assert.ok(typeof body.error === 'string' && body.error !== '', `a refusal without an error code: ${what}`);
  assert.ok(typeof body.message === 'string' && body.message !== '', `a refusal without a message: ${what}`);
}
