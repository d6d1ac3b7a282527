import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openRouterConfig, RunningJunction, startClusterNode } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import type { RunningRedis } from '../support/redis-server.js';
import { testRun } from '../support/test-run.js';
import { eventually } from '../support/wait.js';

/**
 * A dead node's testaments when the node chosen to publish them dies too, through the real CLI
 * and Redis: nodes a, b and c; a dies with a session's testament while b (the survivor whose
 * name sorts first) is frozen, then b dies as well; c publishes the testament, once.
 */

const skip = skipWithoutDebian('redis-server');
const run = testRun();
let redis: RunningRedis | undefined;

/** Long, so that a frozen node stays in the others' view for the whole test. */
const leaseMs = 20_000;

function clusterConfig(): object {
  return openRouterConfig({ ws: { type: 'websocket' } }, { redis: { url: '${REDIS_URL}' }, node_id: '${NODE_ID}', heartbeat: 200, lease: leaseMs });
}

async function startNode(config: string, nodeId: string): Promise<{ junction: RunningJunction; url: string }> {
  const junction = await startClusterNode(run.running, config, 0, { REDIS_URL: redis!.url, NODE_ID: nodeId });
  return { junction, url: await junction.url() };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('testaments of a dead node when the node chosen to publish them dies too (the CLI, Redis)', { skip }, () => {
  it('publishes them from the next surviving node, once', async () => {
    redis = await run.startRedis();
    const config = await run.configFile(clusterConfig(), 'junction-testaments-');
    const a = await startNode(config, 'a');
    const b = await startNode(config, 'b');
    const c = await startNode(config, 'c');

    const onC = await run.open(c.url);
    const onA = await run.open(a.url);
    const wills: unknown[] = [];
    const probes: unknown[] = [];
    await onC.session.subscribe('cluster.will', (args: unknown[]) => void wills.push(args[0]));
    await onC.session.subscribe('cluster.probe', (args: unknown[]) => void probes.push(args[0]));
    await onA.session.call('wamp.session.add_testament', ['cluster.will', ['a died'], {}]);
    // What a said before the probe (its testament among it) has reached c once the probe has.
    await eventually(async () => {
      await onA.session.publish('cluster.probe', ['probe'], {}, { acknowledge: true });
      await pause(50);
      return probes.length > 0 ? true : undefined;
    }, 'a probe from a reaching c');
    assert.equal(await onC.session.call('wamp.session.count'), 2);

    // b is frozen: still in the others' view (its connections stay open), unable to publish anything.
    b.junction.child.kill('SIGSTOP');
    a.junction.kill();
    await eventually(async () => ((await onC.session.call('wamp.session.count')) === 1 ? true : undefined), 'c noticing that a died');
    await pause(300);
    assert.deepEqual(wills, [], 'c leaves them to b, whose name sorts first');

    b.junction.kill();
    await eventually(async () => (wills.length > 0 ? true : undefined), 'the testament published by c once b died too');
    await pause(500);
    assert.deepEqual(wills, ['a died'], 'once');
  });
});
