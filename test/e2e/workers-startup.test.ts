import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import { createServer } from 'node:net';
import { freePort, runJunction, RunningJunction } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const running: RunningJunction[] = [];
const joining: { stop(): Promise<unknown> }[] = [];
after(async () => {
  running.forEach((junction) => junction.kill());
  await Promise.all(joining.map((joins) => joins.stop()));
});

/** A join with no WELCOME, ABORT, refusal or close by then was left unanswered (the bug this test is for). */
const unansweredAfterMs = 5_000;
/** Joins are opened this often, from the moment the parent is spawned, at most `maxJoins` (a minute's worth). */
const joinEveryMs = 10;
const maxJoins = 6_000;

/** How a join ended: `welcome wN`, `refused CODE` (the connection was refused or reset), `closed` (before WELCOME), or `unanswered`. */
function join(port: number): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'wamp.2.json');
    const end = (outcome: string): void => {
      clearTimeout(timer);
      resolve(outcome);
      ws.terminate();
    };
    const timer = setTimeout(() => end('unanswered'), unansweredAfterMs);
    ws.on('error', (error: NodeJS.ErrnoException) => end(`refused ${error.code ?? error.message}`));
    ws.on('close', () => end('closed'));
    ws.on('open', () => ws.send(JSON.stringify([1, 'realm1', { roles: { subscriber: {} } }])));
    ws.on('message', (data: Buffer) => {
      const [type, , details] = JSON.parse(data.toString()) as [number, unknown, { x_junction_node?: string }];
      end(type === 2 ? `welcome ${details.x_junction_node}` : `message ${type}`);
    });
  });
}

/** Opens a join every `joinEveryMs` until stopped or `maxJoins` were opened (bounded in count and time). */
function keepJoining(port: number) {
  const outcomes: Promise<string>[] = [];
  let stopped = false;
  const opening = (async () => {
    while (!stopped && outcomes.length < maxJoins) {
      outcomes.push(join(port));
      await new Promise((resolve) => setTimeout(resolve, joinEveryMs));
    }
  })();
  const joins = {
    /** Stops opening joins; resolves to every join's outcome once each has one. */
    stop: async (): Promise<string[]> => {
      stopped = true;
      await opening;
      return Promise.all(outcomes);
    },
    opened: () => outcomes.length,
  };
  joining.push(joins);
  return joins;
}

const tally = (outcomes: string[]): Record<string, number> =>
  outcomes.reduce<Record<string, number>>((counts, outcome) => ({ ...counts, [outcome]: (counts[outcome] ?? 0) + 1 }), {});

describe('junction start --workers 2: clients that connect while it starts or a worker restarts', () => {
  it('answers every join opened from the spawn on and across a kill -9 and restart of a worker: WELCOME or a prompt refusal', async () => {
    const port = await freePort();
    const joins = keepJoining(port);
    const junction = RunningJunction.start(['--host', '127.0.0.1', '--port', String(port), '--workers', '2']);
    running.push(junction);
    /** Waits until worker `node` has said `nth` times that it serves. */
    const serving = async (node: string, nth: number): Promise<void> => {
      await waitFor(() => junction.lines.filter((line) => line.msg === 'worker serving' && line.node === node).length >= nth, `worker ${node} serving (${nth})`, 30_000);
    };
    const phases: Record<string, number> = {};
    await serving('w1', 1);
    phases['w1 serving'] = joins.opened();
    const victim = await junction.worker('w2');
    phases['w2 killed'] = joins.opened();
    victim.signal('SIGKILL');
    await junction.waitForLine((line) => line.msg.startsWith('worker died') && line.node === 'w2');
    await serving('w2', 2);
    // A while longer, so that joins land on the restarted worker too.
    const restarted = joins.opened();
    phases['w2 serving again'] = restarted;
    const until = restarted + 100;
    while (joins.opened() < until && joins.opened() < maxJoins) await new Promise((resolve) => setTimeout(resolve, joinEveryMs));
    const outcomes = await joins.stop();

    const counts = tally(outcomes);
    const unanswered = outcomes.flatMap((outcome, index) => (outcome === 'unanswered' ? [index] : []));
    assert.deepEqual(unanswered, [], `every join is answered (unanswered: ${JSON.stringify(unanswered)}; joins by number: ${JSON.stringify(phases)}): ${JSON.stringify(counts)}`);
    const unexpected = Object.keys(counts).filter((outcome) => !/^(welcome w[12]|refused (ECONNREFUSED|ECONNRESET)|closed)$/.test(outcome));
    assert.deepEqual(unexpected, [], `joins end in WELCOME or a refusal: ${JSON.stringify(counts)}`);
    assert.ok(counts['welcome w1'] && counts['welcome w2'], `both workers welcomed joins: ${JSON.stringify(counts)}`);
    assert.ok(outcomes.slice(restarted).includes('welcome w2'), `the restarted worker welcomed joins: ${JSON.stringify(tally(outcomes.slice(restarted)))}`);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });

  it('refuses a port in use in the parent, before any worker starts, with the message of a single process', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const busy = await runJunction(['start', '--host', '127.0.0.1', '--port', String(port), '--workers', '2']);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use: stop the program using it, or choose another port with --port \\[port_in_use\\]$`, 'm'));
      assert.match(busy.stderr, / \[port_in_use\]$/m);
      assert.doesNotMatch(busy.stdout, /starting workers/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
