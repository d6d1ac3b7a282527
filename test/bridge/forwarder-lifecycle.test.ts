import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { ForwarderComponentConfig, JunctionConfig } from '../../src/config/model.js';
import { openAutobahn } from '../support/autobahn.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { signatureValid, TestApp, type Received } from './forwarder-app.js';

/**
 * The recipe of docs/forwarder.md, "Know when a user goes offline": a forwarder subscribed to the
 * meta API's lifecycle topics POSTs a signed webhook when an AutobahnJS session joins or leaves
 * and when a topic gains its first subscriber or loses its last, through the durable outbox, so
 * an app that was down still learns of them once it is back.
 */

const SECRET = 'lifecycle-secret';
const lifecycleTopics = ['wamp.session.on_join', 'wamp.session.on_leave', 'wamp.subscription.on_create', 'wamp.subscription.on_delete'];

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function lifecycleForwarder(url: string, role: string): ForwarderComponentConfig {
  return {
    kind: 'forwarder', id: 'presence', realm: 'realm1', role,
    subscriptions: lifecycleTopics.map((topic) => ({ topic, match: 'exact' as const, url })),
    method: 'POST', headers: {}, signingSecret: SECRET,
    timeoutMs: 5_000, concurrencyPerUrl: 4,
    retry: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 1_000 },
    outboxLimit: 10_000,
    outboxLimitBytes: 100_000_000,
  };
}

/** testConfig plus a role "webhooks" that may subscribe to `allowed` (a prefix) and nothing else. */
function configWithWebhookRole(allowed: string, component: ForwarderComponentConfig): JunctionConfig {
  const config = testConfig();
  config.realms[0]!.roles.push({
    name: 'webhooks',
    permissions: [{ uri: allowed, match: 'prefix', cache: true, allow: { call: false, register: false, publish: false, subscribe: true }, disclose: { caller: false, publisher: false } }],
  });
  config.components = [component];
  return config;
}

async function startApp(): Promise<TestApp> {
  const app = new TestApp();
  await app.start();
  cleanups.push(() => app.stop());
  return app;
}

async function startNodeWith(config: JunctionConfig) {
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-lifecycle-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const node = await startTestNode(config, { dataDir });
  cleanups.push(() => node.stop());
  return node;
}

const byTopic = (requests: Received[], topic: string) => requests.filter((request) => request.headers['x-junction-topic'] === topic);
const body = (request: Received) => JSON.parse(request.body) as { args: unknown[]; kwargs: Record<string, unknown> };

describe('lifecycle webhooks (forwarder on meta topics)', () => {
  it('POSTs join, first-subscriber, last-subscriber and leave of an AutobahnJS session, signed, with authid, role, transport and address', async () => {
    const app = await startApp();
    const node = await startNodeWith(configWithWebhookRole('wamp.', lifecycleForwarder(app.url, 'webhooks')));
    const client = await openAutobahn(node.url, 'json', { authid: 'ignored' });
    const sessionId = client.session.id as number;
    const subscription = await client.session.subscribe('chat.room1', () => {});
    await client.session.unsubscribe(subscription);
    await client.close();
    await waitFor(() => app.accepted.length === 4, 'four lifecycle POSTs');
    assert.ok(app.accepted.every((request) => signatureValid(request, SECRET)), 'every POST is signed');

    const [join] = byTopic(app.accepted, 'wamp.session.on_join');
    const joined = body(join!).args[0] as Record<string, any>;
    assert.equal(joined.session, sessionId);
    assert.equal(joined.authrole, 'anonymous');
    assert.equal(typeof joined.authid, 'string');
    assert.equal(joined.transport.type, 'websocket');
    assert.match(joined.transport.peer, /^tcp4:127\.0\.0\.1:\d+$/, 'the address the browser came from');

    const [created] = byTopic(app.accepted, 'wamp.subscription.on_create');
    assert.equal(body(created!).args[0], sessionId);
    assert.equal((body(created!).args[1] as Record<string, unknown>).uri, 'chat.room1');
    const [deleted] = byTopic(app.accepted, 'wamp.subscription.on_delete');
    assert.equal(body(deleted!).args[0], sessionId);

    const [leave] = byTopic(app.accepted, 'wamp.session.on_leave');
    const left = body(leave!);
    assert.deepEqual(left.args, [sessionId], 'Crossbar\'s one argument');
    assert.deepEqual(left.kwargs, joined, 'the leave carries the same authid, role, transport and address');
  });

  it('delivers the join and leave of a session that came and went while the app was down, in order, once it is back', async () => {
    const app = await startApp();
    const node = await startNodeWith(configWithWebhookRole('wamp.session.', {
      ...lifecycleForwarder(app.url, 'webhooks'),
      subscriptions: ['wamp.session.on_join', 'wamp.session.on_leave'].map((topic) => ({ topic, match: 'exact' as const, url: app.url })),
    }));
    await app.stop();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const client = await openAutobahn(node.url);
      ids.push(client.session.id as number);
      await client.close();
    }
    await waitFor(() => node.metrics.counter('junction_forwarder_retries_total', '').value({ component: 'presence' }) >= 2, 'failed attempts while the app is down');
    assert.equal(app.requests.length, 0);
    await app.start();
    await waitFor(() => app.accepted.length === 6, 'three joins and three leaves', 10_000);
    assert.deepEqual(byTopic(app.accepted, 'wamp.session.on_join').map((request) => (body(request).args[0] as { session: number }).session), ids);
    assert.deepEqual(byTopic(app.accepted, 'wamp.session.on_leave').map((request) => body(request).args[0]), ids);
  });

  it('refuses to start when the forwarder\'s role may not subscribe to a meta topic, naming topic and role', async () => {
    const app = await startApp();
    const config = configWithWebhookRole('wamp.session.', lifecycleForwarder(app.url, 'webhooks'));
    await assert.rejects(startNodeWith(config), (error: Error) => {
      assert.match(error.message, /could not subscribe to "wamp\.subscription\.on_create".*as role "webhooks"/);
      assert.match(error.message, /not_authorized|not authorized/);
      return true;
    });
  });
});
