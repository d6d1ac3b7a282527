import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RunningJunction } from '../support/cli.js';
import { fuzzTimeout, gauges, gaugesBackTo, WampBystander } from '../support/fuzz.js';
import { openDescriptors } from '../support/processes.js';
import { getInTurn, leaveDoorsAtRandom, noCgiProgramLeft, openGauges, playEveryDoor, prepareResetFuzz, type Door } from '../support/reset-fuzz.js';
import { waitFor } from '../support/wait.js';

/**
 * reset-fuzz.test.ts's clients against `junction start --workers 2`: the parent accepts each
 * connection and hands it to a worker (src/node/cluster/handoff-parent.ts), so a client may leave
 * while its connection waits in the parent, while it is in transit to a worker, right after it
 * landed, or anywhere in its exchange with the worker (half the cases leave before their first
 * step is sent whole; up to four clients at once). Each must end that connection only: afterwards
 * a WAMP session on each worker still works, neither worker died nor logged an error, and at the
 * end each worker's open-connection gauges, the parent's hand-off queue and every process's open
 * descriptors are back where they were, and no program a CGI script started still runs.
 */

const CASES = 60;
const WORKERS = 2;
/** The gauges of the parent's hand-off queue, as each worker reports it. */
const handoffGauges = ['junction_workers_connections_awaiting'] as const;
const checkedGauges = [...openGauges, ...handoffGauges];

/**
 * Each worker's /metrics (by node name), read over the shared port: a connection lands on the
 * worker with the fewest open ones, whose /info names it; each is kept open until every worker
 * was read, so the next one goes to a worker that holds fewer.
 */
async function scrapeEachWorker(port: number): Promise<Map<string, string>> {
  const expositions = new Map<string, string>();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  try {
    for (let attempt = 0; attempt < 40 && expositions.size < WORKERS; attempt++) {
      const [info, metrics] = await getInTurn(port, ['/info', '/metrics'], released);
      const node = String((JSON.parse(info!) as { cluster: { node: string } }).cluster.node);
      // A worker's first is the one to keep: its later ones count this scrape's connections held open there too.
      if (!expositions.has(node)) expositions.set(node, metrics!);
    }
  } finally {
    release();
  }
  assert.equal(expositions.size, WORKERS, `the scrapes reached only ${[...expositions.keys()].join(', ')}`);
  return expositions;
}

describe('clients that reset, end or close at every stage of every door of a --workers 2 node', { timeout: fuzzTimeout(180_000) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-reset-fuzz-workers-'));
  let junction: RunningJunction;
  /** One on each worker: each joined while the other worker held fewer connections. */
  const bystanders: WampBystander[] = [];
  let doors: Door[];
  let web: number;
  /** Each worker's gauges with only its bystander connected (and the scrape's own connection). */
  let baseline: Map<string, Record<string, number>>;
  /** The parent's and each worker's pid. */
  let pids: number[];

  before(async () => {
    ({ doors, web } = await prepareResetFuzz(dir));
    junction = RunningJunction.start(['--cbdir', dir, '--workers', String(WORKERS)], dir);
    const serving = () => junction.lines.filter((line) => line.msg === 'worker serving');
    await waitFor(() => serving().length === WORKERS, `${WORKERS} workers serving`, 60_000);
    pids = [junction.child.pid!, ...serving().map((line) => Number(line.pid))];
    // The first one's procedure is the one the caller door calls.
    for (let index = 0; index < WORKERS; index++) bystanders.push(await WampBystander.join(`ws://127.0.0.1:${web}/ws`, index === 0 ? 'bystander' : `bystander${index + 1}`));
    baseline = new Map([...await scrapeEachWorker(web)].map(([node, exposition]) => [node, gauges(exposition, checkedGauges)]));
    for (const [node, values] of baseline) assert.equal(values['junction_sessions{origin="client",realm="realm1"}'], 1, `${node} holds one bystander: ${JSON.stringify(values)}`);
  });

  after(async () => {
    for (const bystander of bystanders) await bystander.close().catch(() => undefined);
    junction?.kill();
    await junction?.waitForExit();
    rmSync(dir, { recursive: true, force: true });
  });

  const bystandersWork = async (what: string): Promise<void> => {
    for (const bystander of bystanders) await bystander.works(what);
  };

  /** Waits until each worker's gauges are back at their baseline (a long-poll transport outlives its client by session_timeout). */
  async function gaugesBack(): Promise<void> {
    let expositions = await scrapeEachWorker(web);
    let refreshing = true;
    const refresh = (async () => {
      while (refreshing) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        expositions = await scrapeEachWorker(web).catch(() => expositions);
      }
    })();
    try {
      for (const [node, values] of baseline) await gaugesBackTo(() => `${expositions.get(node)}`, values, checkedGauges, 20_000);
    } finally {
      refreshing = false;
      await refresh;
    }
  }

  /** The descriptors of each process, once the warm-up opened what each keeps (files, pools). */
  let descriptors: number[];

  it('plays every door to its last answer (the cases below cut these exchanges)', async () => {
    await playEveryDoor(doors, bystanders[0]!);
    await gaugesBack();
    descriptors = pids.map(openDescriptors);
  });

  it('each ends that connection only; every gauge, queue and descriptor comes back', async () => {
    await leaveDoorsAtRandom('reset-fuzz-workers', doors, junction, bystandersWork, CASES, { firstBytes: true, together: 4 });
    // The last resets reach the node after their case ended: give them time, then the node must still serve.
    await bystandersWork('after the last case');
    await gaugesBack();
    await noCgiProgramLeft(dir);
    await waitFor(() => pids.every((pid, index) => openDescriptors(pid) <= descriptors[index]!), 'the descriptors to come back', 10_000)
      .catch(() => assert.fail(`open descriptors of the parent and each worker: ${descriptors.join(', ')} after the warm-up, ${pids.map(openDescriptors).join(', ')} now`));
    assert.equal(junction.child.exitCode, null, `the node exited: ${junction.stderr}`);
    assert.deepEqual(junction.lines.filter((line) => line.msg === 'worker serving').length, WORKERS, 'a worker was started again');
    // Leaving is the client's right: nothing of it is an internal error (pino's error level is 50).
    assert.deepEqual(junction.lines.filter((line) => line.level >= 50), [], 'error-level log lines');
  });
});
