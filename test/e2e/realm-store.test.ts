import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, openRouterConfig, RunningJunction, startClusterNode } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { RawClient } from '../support/raw-client.js';
import { testRun } from '../support/test-run.js';

/**
 * A realm with Crossbar FX's persistent store ("cfxdb"): the event history outlives the node.
 * Events published before a stop are returned by wamp.subscription.get_events after the next
 * start, within the topic's limit; with --workers, and with the nodes of a Redis cluster sharing
 * the folder, each publication is stored once, though every process keeps it.
 */

const run = testRun();
const running = run.running;

/** A config in a folder of its own, whose realm1 keeps its history in `history-db` beside it (`cluster`: a Redis cluster's block). */
function configFile(cluster?: object): Promise<string> {
  const document = openRouterConfig({ ws: { type: 'websocket' } }, cluster) as { workers: [{ realms: [Record<string, unknown>] }] };
  document.workers[0].realms[0].store = {
    type: 'cfxdb', path: 'history-db', maxsize: 1048576, 'buffer-flush': 50, limit: 3, 'event-history': [{ uri: 'log.', match: 'prefix' }],
  };
  return run.configFile(document, 'junction-realm-store-');
}

async function start(config: string, workers?: number): Promise<{ junction: RunningJunction; url: string }> {
  const port = await freePort();
  // The working directory is not the config's folder: the store's path is relative to the config.
  const junction = RunningJunction.start(['--config', config, '--port', String(port), ...(workers ? ['--workers', String(workers)] : [])]);
  running.push(junction);
  if (workers) for (let i = 1; i <= workers; i++) await junction.started((line) => line.msg === 'worker serving' && line.node === `w${i}`);
  else await junction.url();
  return { junction, url: `ws://127.0.0.1:${port}/ws` };
}

async function stop(junction: RunningJunction): Promise<void> {
  junction.child.kill('SIGTERM');
  assert.equal(await junction.waitForExit(), 0);
}

async function session(url: string): Promise<RawClient> {
  const client = await RawClient.open(url);
  const welcome = await client.hello();
  assert.equal(welcome[0], 2, JSON.stringify(welcome));
  return client;
}

/** Publishes `values` on log.<value>, each acknowledged: returns their publication IDs. */
async function publish(url: string, values: number[]): Promise<number[]> {
  const client = await session(url);
  const ids: number[] = [];
  for (const value of values) {
    client.send([16, value, { acknowledge: true }, `log.${value}`, [value], { at: 'before the restart' }]);
    const published = await client.next((message) => message[0] === 17 && message[1] === value);
    ids.push(published[2] as number);
  }
  client.close();
  return ids;
}

async function call(client: RawClient, request: number, procedure: string, args: unknown[]): Promise<unknown> {
  client.send([48, request, {}, procedure, args]);
  const answer = await client.next((message) => (message[0] === 50 || message[0] === 8) && message[message[0] === 50 ? 1 : 2] === request);
  assert.equal(answer[0], 50, JSON.stringify(answer));
  return (answer[3] as unknown[])[0];
}

async function storedEvents(url: string): Promise<{ publication: number; args: unknown[]; kwargs: unknown; details: { topic: string } }[]> {
  const client = await session(url);
  const subscription = await call(client, 1, 'wamp.subscription.lookup', ['log.', { match: 'prefix' }]);
  assert.equal(typeof subscription, 'number');
  const events = await call(client, 2, 'wamp.subscription.get_events', [subscription]);
  client.close();
  return events as { publication: number; args: unknown[]; kwargs: unknown; details: { topic: string } }[];
}

describe('realm store "cfxdb"', { timeout: 180_000 }, () => {
  it('get_events returns the events published before a restart, the newest within the topic\'s limit', async () => {
    const config = await configFile();
    const first = await start(config);
    const ids = await publish(first.url, [1, 2, 3, 4]);
    await stop(first.junction);
    assert.ok(existsSync(join(dirname(config), 'history-db.lmdb')), 'the store is beside the config, at <path>.lmdb');

    const second = await start(config);
    const events = await storedEvents(second.url);
    assert.deepEqual(events.map((event) => event.publication), ids.slice(1), 'the last 3 (the store\'s limit), oldest first');
    assert.deepEqual(events.map((event) => event.args), [[2], [3], [4]]);
    assert.deepEqual(events[0]!.kwargs, { at: 'before the restart' });
    assert.equal(events[0]!.details.topic, 'log.2');
    // And what is published now joins them, past the restart too.
    const [later] = await publish(second.url, [5]);
    await stop(second.junction);
    const third = await start(config);
    assert.deepEqual((await storedEvents(third.url)).map((event) => event.publication), [...ids.slice(2), later]);
    await stop(third.junction);
  });

  it('with --workers 2 every worker keeps each event, and the store holds it once', async () => {
    const config = await configFile();
    const first = await start(config, 2);
    const ids = await publish(first.url, [1, 2]);
    await stop(first.junction);
    const second = await start(config);
    assert.deepEqual((await storedEvents(second.url)).map((event) => event.publication), ids);
    await stop(second.junction);
  });

  it('the nodes of a Redis cluster sharing the folder store each event once', { skip: skipWithoutDebian('redis-server') }, async () => {
    const redis = await run.startRedis();
    const config = await configFile({ redis: { url: '${REDIS_URL}' }, heartbeat: 200, lease: 5000 });
    const env = { REDIS_URL: redis.url };
    const ports = [await freePort(), await freePort()];
    const nodes = [];
    for (const port of ports) nodes.push(await startClusterNode(running, config, port, env));
    const urls = ports.map((port) => `ws://127.0.0.1:${port}/ws`);
    await Promise.all(nodes.map((node) => node.url()));
    const ids = await publish(urls[0]!, [1, 2]);
    // The other node keeps them too once the publications reach it through Redis (bounded).
    for (let tries = 0; tries < 50 && (await storedEvents(urls[1]!)).length < 2; tries++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual((await storedEvents(urls[1]!)).map((event) => event.publication), ids);
    for (const node of nodes) await stop(node);
    const alone = await startClusterNode(running, config, ports[0]!, env);
    await alone.url();
    assert.deepEqual((await storedEvents(urls[0]!)).map((event) => event.publication), ids);
    await stop(alone);
  });
});
