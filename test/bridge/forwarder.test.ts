import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { ForwarderComponentConfig } from '../../src/config/model.js';
import type { RunningNode } from '../../src/node/node.js';
import { InternalSession } from '../../src/router/internal-session.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { signatureValid, TestApp, type Received } from './forwarder-app.js';

/**
 * A client publishes; a small HTTP app receives the forwarder's POSTs. The app can be taken
 * down (connection refused), told to fail (500) or to hang; the forwarder must deliver
 * everything, in order per topic, across outages and a router restart, and keep what it cannot
 * deliver as dead letters that a meta procedure lists and re-delivers.
 */

const SECRET = 'app-shared-secret';

function forwarder(url: string, more: Partial<ForwarderComponentConfig> = {}): ForwarderComponentConfig {
  return {
    kind: 'forwarder', id: 'news', realm: 'realm1',
    subscriptions: [{ topic: 'breaking-news.', match: 'prefix', url }],
    method: 'POST', headers: { 'X-App-Key': 'key-1' }, signingSecret: SECRET,
    timeoutMs: 5_000, concurrencyPerUrl: 4,
    retry: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 1_000 },
    outboxLimit: 10_000,
    outboxLimitBytes: 100_000_000,
    ...more,
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'junction-forwarder-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startApp(): Promise<TestApp> {
  const app = new TestApp();
  await app.start();
  cleanups.push(() => app.stop());
  return app;
}

async function startForwarding(component: ForwarderComponentConfig, dataDir: string): Promise<{ node: RunningNode & { url: string }; client: OpenSession }> {
  const config = testConfig();
  config.components = [component];
  const node = await startTestNode(config, { dataDir });
  const client = await openAutobahn(node.url);
  const stopNode = node.stop;
  let stopping: Promise<void> | undefined;
  // Stopping closes the test's client first; the test may stop early (a restart), cleanup stops the rest.
  const stop = () => (stopping ??= client.close().then(stopNode));
  cleanups.push(stop);
  return { node: { ...node, stop }, client };
}

/** Publishes n events on `topic`, args [label + i], acknowledged; returns the publication ids. */
async function publish(client: OpenSession, topic: string, labels: string[]): Promise<number[]> {
  const ids: number[] = [];
  for (const label of labels) ids.push((await client.session.publish(topic, [label], { n: label }, { acknowledge: true })).id);
  return ids;
}

/** Retries `attempt` until it resolves (bounded): for state only a call can observe. */
async function eventually<T>(attempt: () => Promise<T>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${(error as Error).message ?? JSON.stringify(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

const labels = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
const firstArgs = (requests: Received[]) => requests.map((request) => JSON.parse(request.body).args[0] as string);
function metric(node: RunningNode, name: string): number {
  return node.metrics.counter(name, '').value({ component: 'news' });
}

describe('MessageForwarder', () => {
  it('POSTs a client\'s publication on breaking-news.politics with Crossbar\'s body, Junction\'s headers and a valid signature', async () => {
    const app = await startApp();
    const { client } = await startForwarding(forwarder(app.url), tempDir());
    const [publication] = await publish(client, 'breaking-news.politics', ['Parliament dissolved']);
    await waitFor(() => app.accepted.length === 1, 'the POST');
    const [request] = app.requests;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.path, '/hooks/news');
    assert.equal(request!.body, '{"args":["Parliament dissolved"],"kwargs":{"n":"Parliament dissolved"}}');
    assert.equal(request!.headers['content-type'], 'application/json');
    assert.equal(request!.headers['x-junction-topic'], 'breaking-news.politics');
    assert.equal(request!.headers['x-junction-publication'], String(publication));
    assert.equal(request!.headers['x-junction-delivery-attempt'], '1');
    assert.equal(request!.headers['x-app-key'], 'key-1');
    assert.ok(signatureValid(request!, SECRET), 'the signature checks out with the shared secret');
    assert.ok(!signatureValid({ ...request!, body: request!.body.replace('dissolved', 'dismissed') }, SECRET), 'a tampered body does not');
  });

  it('delivers everything in order once an app that was down (connection refused) comes back', async () => {
    const app = await startApp();
    const { node, client } = await startForwarding(forwarder(app.url, { role: 'anonymous' }), tempDir());
    await app.stop();
    await publish(client, 'breaking-news.sport', labels('s', 10));
    await waitFor(() => metric(node, 'junction_forwarder_retries_total') >= 3, 'failed attempts while the app is down');
    assert.equal(app.requests.length, 0);
    await app.start();
    await waitFor(() => app.accepted.length === 10, 'all ten delivered', 10_000);
    assert.deepEqual(firstArgs(app.accepted), labels('s', 10));
    assert.ok(Number(app.accepted[0]!.headers['x-junction-delivery-attempt']) > 1, 'the first one was tried before');
  });

  it('retries while the app answers 500 and delivers in order', async () => {
    const app = await startApp();
    let failures = 0;
    app.behave = () => (failures++ < 6 ? 'fail' : 'ok');
    const { node, client } = await startForwarding(forwarder(app.url), tempDir());
    await publish(client, 'breaking-news.weather', labels('w', 8));
    await waitFor(() => app.accepted.length === 8, 'all eight delivered', 10_000);
    assert.deepEqual(firstArgs(app.accepted), labels('w', 8));
    assert.deepEqual(firstArgs(app.requests.slice(0, 7)), Array(7).fill('w1'), 'the head is retried, the rest wait behind it');
    assert.deepEqual(app.requests.slice(0, 7).map((request) => request.headers['x-junction-delivery-attempt']), ['1', '2', '3', '4', '5', '6', '7']);
    assert.equal(metric(node, 'junction_forwarder_retries_total'), 6);
    // The app has answered; the forwarder counts once the outbox has let go of the message.
    await waitFor(() => metric(node, 'junction_forwarder_delivered_total') === 8, 'eight counted as delivered');
  });

  it('gives up on a request that hangs past timeoutMs and tries it again', async () => {
    const app = await startApp();
    let calls = 0;
    app.behave = () => (calls++ === 0 ? 'hang' : 'ok');
    const { client } = await startForwarding(forwarder(app.url, { timeoutMs: 200 }), tempDir());
    await publish(client, 'breaking-news.tech', ['t1', 't2']);
    await waitFor(() => app.accepted.length === 2, 'both delivered', 10_000);
    assert.deepEqual(firstArgs(app.accepted), ['t1', 't2']);
    assert.deepEqual(firstArgs(app.requests), ['t1', 't1', 't2']);
  });

  it('keeps pending messages across a router restart and delivers them exactly once, in order', async () => {
    const app = await startApp();
    const dataDir = tempDir();
    await app.stop();
    const first = await startForwarding(forwarder(app.url), dataDir);
    await publish(first.client, 'breaking-news.politics', labels('p', 10));
    await publish(first.client, 'breaking-news.economy', labels('e', 5));
    await waitFor(() => metric(first.node, 'junction_forwarder_retries_total') >= 2, 'failed attempts before the restart');
    const status = (await first.client.session.call('junction.forwarder.news.status')) as { pending: number; queues: { topic: string; pending: number; oldest_age_ms: number; head_attempts: number; last_error?: string }[] };
    assert.equal(status.pending, 15);
    assert.deepEqual(status.queues.map((queue) => [queue.topic, queue.pending]).sort(), [['breaking-news.economy', 5], ['breaking-news.politics', 10]]);
    assert.ok(status.queues.every((queue) => queue.oldest_age_ms >= 0));
    assert.ok(status.queues.some((queue) => queue.head_attempts > 0 && /ECONNREFUSED/.test(queue.last_error ?? '')), JSON.stringify(status));
    await first.node.stop();

    const second = await startForwarding(forwarder(app.url), dataDir);
    assert.equal(second.node.metrics.gauge('junction_forwarder_pending', '').value({ component: 'news' }), 15, 'loaded from disk');
    // The oldest message's age survives the restart too (its creation time is stored), read at each scrape.
    const oldestAge = () => Number(/^junction_forwarder_oldest_age_seconds\{component="news"\} (\S+)$/m.exec(second.node.metrics.exposition())?.[1]);
    assert.ok(oldestAge() > 0, 'an age for the waiting messages');
    await app.start();
    await waitFor(() => app.accepted.length === 15, 'everything delivered after the restart', 10_000);
    const byTopic = (topic: string) => firstArgs(app.accepted.filter((request) => request.headers['x-junction-topic'] === topic));
    assert.deepEqual(byTopic('breaking-news.politics'), labels('p', 10));
    assert.deepEqual(byTopic('breaking-news.economy'), labels('e', 5));
    assert.equal(app.requests.length, 15, 'each exactly once');
    await waitFor(() => second.node.metrics.gauge('junction_forwarder_pending', '').value({ component: 'news' }) === 0, 'the outbox empty');
    assert.equal(oldestAge(), 0, 'none waiting');
  });

  it('dead-letters a message after maxAttempts, lists it through the meta procedure (query values masked), and re-delivers it on retry', async () => {
    const app = await startApp();
    app.behave = () => 'fail';
    const { node, client } = await startForwarding(forwarder(`${app.url}?key=hook-key`, { retry: { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 3 } }), tempDir());
    const [publication] = await publish(client, 'breaking-news.local', ['l1']);
    await waitFor(() => metric(node, 'junction_forwarder_dead_lettered_total') === 1, 'the dead letter');
    assert.equal(app.requests.length, 3);
    assert.match(app.requests[0]!.path, /\?key=hook-key$/, 'the app gets the key');

    const letters = (await client.session.call('junction.forwarder.news.dead_letters', [], { limit: 10 })) as Record<string, unknown>[];
    assert.equal(letters.length, 1);
    assert.deepEqual(
      { ...letters[0], id: undefined, created_at: undefined, dead_at: undefined },
      {
        id: undefined, created_at: undefined, dead_at: undefined,
        url: `${app.url}?key=*****`, topic: 'breaking-news.local', publication, attempts: 3,
        last_error: 'HTTP 500 (expected a 2xx status): database is down',
        body: '{"args":["l1"],"kwargs":{"n":"l1"}}',
      },
    );
    await assert.rejects(client.session.call('junction.forwarder.news.dead_letters', [], { limit: 0 }), (error: { error: string }) => error.error === 'wamp.error.invalid_argument');

    app.behave = () => 'ok';
    const retried = (await client.session.call('junction.forwarder.news.retry_dead_letters', [], { ids: [letters[0]!.id] })) as { retried: number; dead_letters: number };
    assert.deepEqual(retried, { retried: 1, dead_letters: 0 });
    await waitFor(() => app.accepted.length === 1, 'the re-delivery');
    assert.equal(app.accepted[0]!.headers['x-junction-publication'], String(publication));
    assert.equal(app.accepted[0]!.headers['x-junction-delivery-attempt'], '1', 'a revived message starts over');
    assert.deepEqual(await client.session.call('junction.forwarder.news.dead_letters'), []);
  });

  it('keeps at most concurrencyPerUrl requests in flight to the app', async () => {
    const app = await startApp();
    app.behave = () => 'hang';
    const { client } = await startForwarding(forwarder(app.url, { concurrencyPerUrl: 2 }), tempDir());
    // Six topics: six queues that could all send at once.
    for (let i = 1; i <= 6; i++) await publish(client, `breaking-news.region${i}`, [`r${i}`]);
    while (app.accepted.length < 6) {
      await waitFor(() => app.heldCount > 0 || app.accepted.length === 6, 'a request');
      // The app holds what arrived; the forwarder has no more slots, so nothing else can come now.
      assert.ok(app.heldCount <= 2 && app.open <= 2, `open ${app.open}`);
      app.releaseHeld();
    }
    assert.equal(app.maxOpen, 2);
    assert.deepEqual(firstArgs(app.accepted).sort(), labels('r', 6));
  });

  it('keeps the order of each topic when two topics are interleaved and deliveries fail now and then', async () => {
    const app = await startApp();
    let count = 0;
    app.behave = () => (++count % 3 === 0 ? 'fail' : 'ok');
    const { client } = await startForwarding(forwarder(app.url), tempDir());
    for (let i = 1; i <= 15; i++) {
      await publish(client, 'breaking-news.a', [`a${i}`]);
      await publish(client, 'breaking-news.b', [`b${i}`]);
    }
    await waitFor(() => app.accepted.length === 30, 'all thirty delivered', 10_000);
    const byTopic = (topic: string) => firstArgs(app.accepted.filter((request) => request.headers['x-junction-topic'] === topic));
    assert.deepEqual(byTopic('breaking-news.a'), labels('a', 15));
    assert.deepEqual(byTopic('breaking-news.b'), labels('b', 15));
  });

  it('joins again when the router closes its session, and forwards what is published afterwards', async () => {
    const app = await startApp();
    const { client } = await startForwarding(forwarder(app.url, { role: 'anonymous' }), tempDir());
    assert.equal((await client.session.call('wamp.session.kill_by_authid', ['forwarder:news'])).length, 1);
    // Joined again once its meta procedures answer (they are registered after the subscriptions).
    await eventually(() => client.session.call('junction.forwarder.news.status'), 'the forwarder back in the realm');
    await publish(client, 'breaking-news.after', ['a1']);
    await waitFor(() => app.accepted.length === 1, 'forwarded after the rejoin');
    assert.deepEqual(firstArgs(app.accepted), ['a1']);
  });

  it('refuses (and counts) an event whose payload cannot be written as JSON, and goes on with the next', async () => {
    const app = await startApp();
    const { node, client } = await startForwarding(forwarder(app.url), tempDir());
    // Client messages are held to max_nesting_depth; an in-process publisher is not.
    const publisher = await InternalSession.join(node.router.attach.bind(node.router), 'realm1', { authid: 'test', authrole: 'trusted' });
    let tooDeep: unknown = 1;
    for (let i = 0; i < 20_000; i++) tooDeep = [tooDeep];
    await publisher.publishAcknowledged('breaking-news.odd', [tooDeep]);
    assert.equal(metric(node, 'junction_forwarder_refused_total'), 1);
    await publish(client, 'breaking-news.odd', ['fine']);
    await waitFor(() => app.accepted.length === 1, 'the next event forwarded');
    assert.deepEqual(firstArgs(app.accepted), ['fine']);
    publisher.leave();
  });

  it('lets only one node at a time use an outbox: a second one on the same data dir refuses to start', async () => {
    const app = await startApp();
    const dataDir = tempDir();
    const first = await startForwarding(forwarder(app.url), dataDir);
    const config = testConfig();
    config.components = [forwarder(app.url)];
    const outboxFolder = join(dataDir, 'forwarder', 'news');
    await assert.rejects(startTestNode(config, { dataDir }), (error: Error) => {
      assert.ok(error.message.startsWith(`forwarder "news": its outbox ${outboxFolder} is in use by pid ${process.pid}`), error.message);
      assert.match(error.message, /--data-dir/);
      return true;
    });
    // The refused node left the first one's outbox working.
    await publish(first.client, 'breaking-news.one', ['a1']);
    await waitFor(() => app.accepted.length === 1, 'delivered by the first node');

    await first.node.stop();
    const next = await startForwarding(forwarder(app.url), dataDir);
    await publish(next.client, 'breaking-news.one', ['a2']);
    await waitFor(() => app.accepted.length === 2, 'delivered by the node that took over');
    assert.deepEqual(firstArgs(app.accepted), ['a1', 'a2']);
  });

  it('refuses to start with an id that could leave its data folder', async () => {
    const config = testConfig();
    config.components = [forwarder('http://127.0.0.1:9/x', { id: '../escape' })];
    await assert.rejects(startTestNode(config, { dataDir: tempDir() }), /forwarder "\.\.\/escape": its id names its outbox folder/);
  });
});
