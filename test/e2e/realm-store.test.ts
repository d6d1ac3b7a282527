import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, openRouterConfig, RunningJunction } from '../support/cli.js';
import { RawClient } from '../support/raw-client.js';

/**
 * A realm with Crossbar FX's persistent store ("cfxdb"): the event history outlives the node.
 * Events published before a stop are returned by wamp.subscription.get_events after the next
 * start, within the topic's limit; with --workers each publication is stored once, though every
 * worker keeps it.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-realm-store-'));
const running: RunningJunction[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  rmSync(home, { recursive: true, force: true });
});

function configFile(name: string): string {
  const path = join(home, `${name}.json`);
  const document = openRouterConfig({ ws: { type: 'websocket' } }) as { workers: [{ realms: [Record<string, unknown>] }] };
  document.workers[0].realms[0].store = {
    type: 'cfxdb', path: `${name}-db`, maxsize: 1048576, 'buffer-flush': 50, limit: 3, 'event-history': [{ uri: 'log.', match: 'prefix' }],
  };
  writeFileSync(path, JSON.stringify(document));
  return path;
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
  assert.equal(await junction.exited, 0);
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
    const config = configFile('single');
    const first = await start(config);
    const ids = await publish(first.url, [1, 2, 3, 4]);
    await stop(first.junction);
    assert.ok(existsSync(join(home, 'single-db.lmdb')), 'the store is beside the config, at <path>.lmdb');

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
    const config = configFile('workers');
    const first = await start(config, 2);
    const ids = await publish(first.url, [1, 2]);
    await stop(first.junction);
    const second = await start(config);
    assert.deepEqual((await storedEvents(second.url)).map((event) => event.publication), ids);
    await stop(second.junction);
  });
});
