import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testRun, type NodeClient } from '../support/test-run.js';
import { waitFor } from '../support/wait.js';

/**
 * Session statistics with `--workers 2`, through the real CLI: each worker reports its own
 * sessions, and a monitor on one worker gets the reports of both.
 */

const run = testRun();

type Report = [who: Record<string, unknown>, stats: Record<string, unknown>];

describe('session statistics with --workers 2 (the CLI, AutobahnJS)', () => {
  it('each worker reports its own sessions; a monitor on one worker gets the reports of both', async () => {
    const config = await run.configFile({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', 'allow-by-default': true }], stats: { trigger_after_rated_messages: 1000 } }],
        transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' } } }],
      }],
    }, 'junction-workers-stats-');
    const { junction } = await run.startWorkers(0, config);
    const url = `ws://127.0.0.1:${await junction.port()}/ws`;

    const monitor = await run.openOnNode(url);
    const reports: Report[] = [];
    await monitor.session.subscribe('wamp.session.on_stats', (args: Report) => void reports.push(args));
    // The OS spreads connections over the workers: connect (at most 30) until one lands on each.
    const byNode = new Map<string, NodeClient>();
    for (let i = 0; i < 30 && byNode.size < 2; i++) {
      const client = await run.openOnNode(url);
      if (byNode.has(client.node)) await client.close();
      else byNode.set(client.node, client);
    }
    assert.equal(byNode.size, 2, 'clients landed on both workers');
    for (const client of byNode.values()) await client.close();
    await waitFor(() => [...byNode.values()].every((client) => reports.some(([who]) => who.session === client.id)), 'a last report for each client');
    for (const client of byNode.values()) {
      const [, stats] = reports.find(([who]) => who.session === client.id)!;
      assert.deepEqual([stats.first, stats.last, stats.messages], [true, true, 4], `${client.node}: HELLO, WELCOME, GOODBYE both ways`);
    }
    assert.ok(byNode.has(monitor.node));
  });
});
