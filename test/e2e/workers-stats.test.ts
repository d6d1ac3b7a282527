import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { autobahnSerializer, openConnection, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

/**
 * Session statistics with `--workers 2`, through the real CLI: each worker reports its own
 * sessions, and a monitor on one worker gets the reports of both.
 */

const running: RunningJunction[] = [];
const clients: OpenSession[] = [];
let dir: string | undefined;
after(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => {})));
  running.forEach((junction) => junction.kill());
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Client extends OpenSession {
  id: number;
  /** WELCOME.Details.x_junction_node: the worker the session is on. */
  node: string;
}

async function open(url: string): Promise<Client> {
  const opened = await openConnection({ url, realm: 'realm1', serializers: [autobahnSerializer('json')] },
    (reason) => new Error(`connection failed: ${reason}`));
  clients.push(opened);
  return { ...opened, id: Number(opened.session.id), node: String((opened.details as Record<string, unknown>).x_junction_node) };
}

type Report = [who: Record<string, unknown>, stats: Record<string, unknown>];

describe('session statistics with --workers 2 (the CLI, AutobahnJS)', () => {
  it('each worker reports its own sessions; a monitor on one worker gets the reports of both', async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-workers-stats-'));
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', 'allow-by-default': true }], stats: { trigger_after_rated_messages: 1000 } }],
        transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' } } }],
      }],
    }));
    const port = await freePort();
    const junction = RunningJunction.start(['--config', config, '--port', String(port), '--workers', '2']);
    running.push(junction);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
    const url = `ws://127.0.0.1:${port}/ws`;

    const monitor = await open(url);
    const reports: Report[] = [];
    await monitor.session.subscribe('wamp.session.on_stats', (args: Report) => void reports.push(args));
    // The OS spreads connections over the workers: connect (at most 30) until one lands on each.
    const byNode = new Map<string, Client>();
    for (let i = 0; i < 30 && byNode.size < 2; i++) {
      const client = await open(url);
      if (byNode.has(client.node)) await client.close();
      else byNode.set(client.node, client);
    }
    assert.equal(byNode.size, 2, 'clients landed on both workers');
    reports.splice(0);
    for (const client of byNode.values()) await client.close();
    await waitFor(() => [...byNode.values()].every((client) => reports.some(([who]) => who.session === client.id)), 'a last report for each client');
    for (const client of byNode.values()) {
      const [, stats] = reports.find(([who]) => who.session === client.id)!;
      assert.deepEqual([stats.first, stats.last, stats.messages], [true, true, 4], `${client.node}: HELLO, WELCOME, GOODBYE both ways`);
    }
    assert.ok([...byNode.keys()].includes(monitor.node));
  });
});
