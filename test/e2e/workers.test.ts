import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openConnection, autobahnSerializer, type OpenSession, type SerializerName } from '../support/autobahn.js';
import { freePort, RunningJunction } from '../support/cli.js';
import { whileStopped } from '../support/owned-process.js';
import { waitFor } from '../support/wait.js';

const running: RunningJunction[] = [];
const clients: OpenSession[] = [];
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  running.forEach((junction) => junction.kill());
});

interface Client extends OpenSession {
  node: string;
  /** args[0] of every event received on "e2e.fan". */
  received: unknown[];
}

async function connect(url: string, serializer: SerializerName): Promise<Client> {
  const opened = await openConnection({ url, realm: 'realm1', serializers: [autobahnSerializer(serializer)] },
    (reason) => new Error(`connection failed: ${reason}`));
  clients.push(opened);
  const node = String((opened.details as Record<string, unknown>).x_junction_node);
  const received: unknown[] = [];
  await opened.session.subscribe('e2e.fan', (args: unknown[]) => void received.push(args[0]));
  return { ...opened, node, received };
}

/** Connects until clients have landed on each of `nodes` (the parent spreads connections; bounded). */
async function spread(url: string, nodes: string[]): Promise<Client[]> {
  const serializers: SerializerName[] = ['json', 'msgpack', 'cbor'];
  const connected: Client[] = [];
  for (let i = 0; i < 24 && !nodes.every((node) => connected.some((client) => client.node === node)); i++) {
    connected.push(await connect(url, serializers[i % serializers.length]!));
  }
  for (const node of nodes) assert.ok(connected.some((client) => client.node === node), `no client landed on worker ${node}`);
  return connected;
}

/**
 * Publishes markers until every subscriber has one: subscriptions travel between workers
 * asynchronously, and once a marker arrived everywhere every worker knows every subscriber.
 */
async function untilEveryoneHears(publisher: Client, subscribers: Client[], marker: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!subscribers.every((client) => client.received.includes(marker))) {
    assert.ok(Date.now() < deadline, `not every subscriber heard "${marker}"`);
    await publisher.session.publish('e2e.fan', [marker], {}, { acknowledge: true, exclude_me: false });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const numbered = (client: Client): unknown[] => client.received.filter((value) => typeof value === 'number');

describe('junction start --workers 2', () => {
  it('serves one port from two workers that act as one router; a worker killed is restarted and forgotten', async () => {
    const port = await freePort();
    const junction = RunningJunction.start(['--host', '127.0.0.1', '--port', String(port), '--workers', '2']);
    running.push(junction);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
    const url = `ws://127.0.0.1:${port}/ws`;

    const everyone = await spread(url, ['w1', 'w2']);
    const info = await (await fetch(`http://127.0.0.1:${port}/info`)).json() as { cluster: { node: string; peers: string[] } };
    assert.deepEqual(info.cluster.peers, [info.cluster.node === 'w1' ? 'w2' : 'w1'], '/info names the node and the other worker');
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json() as { status: string; node: string };
    assert.equal(health.status, 'serving');
    assert.match(health.node, /^w[12]$/);
    const publisher = everyone[0]!;
    await untilEveryoneHears(publisher, everyone, 'ready');
    for (let i = 0; i < 50; i++) await publisher.session.publish('e2e.fan', [i], {}, { exclude_me: false, acknowledge: i % 10 === 9 });
    await untilEveryoneHears(publisher, everyone, 'end');
    for (const client of everyone) {
      assert.deepEqual(numbered(client), [...Array(50).keys()], `client on ${client.node}: every event exactly once, in order`);
    }

    // Calls cross workers; a single registration is unique across them (the parent decides).
    const victim = publisher.node === 'w1' ? 'w2' : 'w1';
    const callee = everyone.find((client) => client.node === victim)!;
    await callee.session.register('e2e.add', (args: number[]) => args[0]! + args[1]!);
    await callee.session.register('e2e.hang', () => new Promise(() => {}));
    // Registrations are announced asynchronously: the first call is retried until the caller's worker knows it.
    let sum: unknown;
    for (let attempt = 0; attempt < 100 && sum === undefined; attempt++) {
      sum = await publisher.session.call('e2e.add', [2, 3]).catch(async (error: { error: string }) => {
        assert.equal(error.error, 'wamp.error.no_such_procedure');
        await new Promise((resolve) => setTimeout(resolve, 20));
        return undefined;
      });
    }
    assert.equal(sum, 5, `a call from ${publisher.node} reached the callee on ${victim}`);
    await assert.rejects(publisher.session.register('e2e.add', () => 0),
      (error: { error: string }) => error.error === 'wamp.error.procedure_already_exists');

    // A worker dies: its clients lose their connection, a call pending on it fails at once, it is
    // started again, and the cluster carries on.
    const pending = publisher.session.call('e2e.hang', []).then(() => 'answered', (error: { error: string }) => error.error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const serving = await junction.worker(victim);
    const dying = everyone.filter((client) => client.node === victim);
    serving.signal('SIGKILL');
    await Promise.all(dying.map((client) => client.closed));
    assert.equal(await pending, 'wamp.error.canceled');
    await junction.waitForLine((line) => line.msg.startsWith('worker died') && line.node === victim);
    await waitFor(() => junction.lines.filter((line) => line.msg === 'worker serving' && line.node === victim).length === 2,
      `worker ${victim} serving again`, 20_000);
    const survivors = everyone.filter((client) => client.node !== victim);
    const newcomers = await spread(url, [victim]);
    const listeners = [...survivors, ...newcomers.filter((client) => client.node === victim)];
    for (const client of listeners) client.received.length = 0;
    await untilEveryoneHears(publisher, listeners, 'again');
    await publisher.session.publish('e2e.fan', [1], {}, { exclude_me: false, acknowledge: true });
    await untilEveryoneHears(publisher, listeners, 'end again');
    for (const client of listeners) assert.deepEqual(numbered(client), [1], `client on ${client.node} after the restart`);

    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
    await junction.waitForLine((line) => line.msg === 'workers stopped');
  });

  it('kills and restarts a worker that stops reading once the parent holds --relay-buffer bytes for it; the other serves on', async () => {
    const port = await freePort();
    const junction = RunningJunction.start(['--host', '127.0.0.1', '--port', String(port), '--workers', '2', '--relay-buffer', '300000']);
    running.push(junction);
    const serving = await junction.workers(2);
    const everyone = await spread(`ws://127.0.0.1:${port}/ws`, ['w1', 'w2']);
    const publisher = everyone[0]!;
    await untilEveryoneHears(publisher, everyone, 'ready');
    const stuck = publisher.node === 'w1' ? 'w2' : 'w1';
    // Stopped, it neither reads nor dies: only the bound can help.
    await whileStopped([serving.get(stuck)!], async () => {
      const big = 'x'.repeat(10_000);
      // Bounded: 400 x 10 kB is more than the bound and any socket buffer between parent and worker.
      for (let i = 0; i < 400 && !junction.lines.some((line) => line.msg.startsWith('worker does not read')); i++) {
        await publisher.session.publish('e2e.fan', [big], {}, { acknowledge: true });
      }
      const warning = await junction.waitForLine((line) => line.msg.startsWith('worker does not read'));
      assert.equal(warning.node, stuck);
      assert.ok(Number(warning.queuedBytes) > 300_000);
      await junction.waitForLine((line) => line.msg.startsWith('worker died') && line.node === stuck);
    });
    await waitFor(() => junction.lines.filter((line) => line.msg === 'worker serving' && line.node === stuck).length === 2,
      `worker ${stuck} serving again`, 20_000);
    const own = publisher.received.length;
    await publisher.session.publish('e2e.fan', ['still'], {}, { acknowledge: true, exclude_me: false });
    await waitFor(() => publisher.received.length > own, 'the other worker serves on');
    // The parent reports to each worker every second; whichever worker answers /metrics knows.
    let metrics = '';
    for (let attempt = 0; attempt < 50 && !/^junction_backplane_relay_overflows_total 1$/m.test(metrics); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    }
    assert.match(metrics, /^junction_backplane_relay_overflows_total 1$/m);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });

  it('refuses a bad --workers value', async () => {
    const junction = RunningJunction.start(['--workers', '0']);
    running.push(junction);
    assert.equal(await junction.waitForExit(), 2);
    assert.match(junction.stderr, /--workers must be "auto" or an integer from 1 to 256, got "0"/);
  });

  it('refuses a --relay-buffer that is not a positive number of bytes', async () => {
    const junction = RunningJunction.start(['--workers', '2', '--relay-buffer', '1e6']);
    running.push(junction);
    assert.equal(await junction.waitForExit(), 2);
    assert.match(junction.stderr, /--relay-buffer must be a positive number of bytes, got "1e6"/);
  });
});
