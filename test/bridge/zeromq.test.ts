import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, it } from 'node:test';
import { Push } from 'zeromq';
import type { JunctionConfig, ZeromqComponentConfig } from '../../src/config/model.js';
import type { RunningNode } from '../../src/node/node.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, projectRoot } from '../support/cli.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';

/**
 * The `zeromq` component: an app's PUSH socket (Node's zeromq, PHP's php-zmq as the form-locking
 * app uses it) reaches AutobahnJS subscribers; malformed, oversized and unauthorized messages
 * are counted and dropped, and the messages after them still arrive.
 */

const php = debianNeed('php-cli').file;
const phpZmqMissing = skipWithoutDebian('php-cli') || skipWithoutDebian('php-zmq');
const pushScript = join(projectRoot, 'test/fixtures/form-lock/push.php');

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function pusher(address: string, more: Partial<ZeromqComponentConfig> = {}): ZeromqComponentConfig {
  return { kind: 'zeromq', id: 'pusher', realm: 'realm1', role: 'backend', socket: 'pull', endpoint: { mode: 'bind', address }, subscribe: [], maxMessageBytes: 4096, ...more };
}

/** testConfig plus a role "backend" that may publish below com.example. only. */
function configWith(component: ZeromqComponentConfig): JunctionConfig {
  const config = testConfig();
  config.realms[0]!.roles.push({
    name: 'backend',
    permissions: [{ uri: 'com.example.', match: 'prefix', cache: true, allow: { call: false, register: false, publish: true, subscribe: false }, disclose: { caller: false, publisher: false } }],
  });
  config.components = [component];
  return config;
}

async function start(component: (address: string) => ZeromqComponentConfig, maxNestingDepth?: number): Promise<{ node: RunningNode & { url: string }; address: string; client: OpenSession }> {
  const address = `tcp://127.0.0.1:${await freePort()}`;
  const config = configWith(component(address));
  if (maxNestingDepth !== undefined) config.maxNestingDepth = maxNestingDepth;
  const node = await startTestNode(config);
  cleanups.push(() => node.stop());
  const client = await openAutobahn(node.url);
  cleanups.push(() => client.close());
  return { node, address, client };
}

async function pushSocket(address: string): Promise<Push> {
  const socket = new Push({ linger: 0 });
  socket.connect(address);
  cleanups.push(() => socket.close());
  return socket;
}

/** Every event of `topic` the client receives, as [args, kwargs]. */
async function collect(client: OpenSession, topic: string): Promise<[unknown[], Record<string, unknown>][]> {
  const events: [unknown[], Record<string, unknown>][] = [];
  await client.session.subscribe(topic, (args: unknown[] = [], kwargs: Record<string, unknown> = {}) => events.push([args, kwargs]));
  return events;
}

const count = (node: RunningNode, name: string) => node.metrics.counter(name, '').value({ component: 'pusher' });

describe('zeromq component', () => {
  it('publishes the HTTP publisher\'s body shape from a Node PUSH socket, options included', async () => {
    const { node, address, client } = await start((address) => pusher(address));
    const events = await collect(client, 'com.example.orders');
    const socket = await pushSocket(address);
    await socket.send(JSON.stringify({ topic: 'com.example.orders', args: ['order 1'], kwargs: { total: 12.5 } }));
    await socket.send(JSON.stringify({ topic: 'com.example.orders', args: ['order 2'], options: { exclude: [client.session.id] } }));
    await socket.send(JSON.stringify({ topic: 'com.example.orders', args: ['order 3'] }));
    await waitFor(() => events.length === 2, 'two events');
    assert.deepEqual(events, [[['order 1'], { total: 12.5 }], [['order 3'], {}]], 'the excluded one is not delivered');
    assert.equal(count(node, 'junction_zeromq_published_total'), 3);
  });

  it('with topic_field, sends any JSON object whole to the topic one of its fields names', async () => {
    const { address, client } = await start((address) => pusher(address, { topicField: 'channel' }));
    const events = await collect(client, 'com.example.form.example.1');
    const socket = await pushSocket(address);
    const update = { status: 'entity_updated', channel: 'com.example.form.example.1', change_set: { title: ['Old', 'New'] } };
    await socket.send(JSON.stringify(update));
    await waitFor(() => events.length === 1, 'the update');
    assert.deepEqual(events[0], [[update], {}]);
  });

  it('counts and drops malformed, too deep, oversized and unauthorized messages; the ones after them arrive', async () => {
    const { node, address, client } = await start((address) => pusher(address), 20);
    const events = await collect(client, 'com.example.after');
    const socket = await pushSocket(address);
    // 21 levels: over the node's max_nesting_depth of 20 (the default, 100, would take it).
    const tooDeep = JSON.stringify({ topic: 'com.example.after', args: [JSON.parse('['.repeat(19) + ']'.repeat(19))] });
    for (const junk of ['not json', '[1,2]', '{"topic":"com.example.x","kwarg":{}}', '{"topic":"has space"}', '', tooDeep]) await socket.send(junk);
    await socket.send(JSON.stringify({ topic: 'elsewhere.news', args: ['not allowed for role backend'] }));
    await socket.send(JSON.stringify({ topic: 'com.example.after', args: ['first'] }));
    await waitFor(() => events.length === 1, 'the good message after the bad ones');
    assert.equal(count(node, 'junction_zeromq_malformed_total'), 6);
    await waitFor(() => count(node, 'junction_zeromq_refused_total') === 1, 'the unauthorized one refused');

    // Over max_message_bytes: ZeroMQ drops the sender's connection; the PUSH socket reconnects by itself.
    await socket.send(JSON.stringify({ topic: 'com.example.after', args: ['x'.repeat(8192)] }));
    const deadline = Date.now() + 5_000;
    while (events.length < 2 && Date.now() < deadline) {
      await socket.send(JSON.stringify({ topic: 'com.example.after', args: ['second'] }));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(events.length >= 2, 'a message after the oversized one arrives');
    assert.ok(events.every(([args]) => args[0] === 'first' || args[0] === 'second'), 'the oversized message never arrives');
  });

  it('receives from a PUB socket through a SUB socket, only the configured prefixes', async () => {
    const { Publisher } = await import('zeromq');
    const address = `tcp://127.0.0.1:${await freePort()}`;
    const publisher = new Publisher({ linger: 0 });
    await publisher.bind(address);
    cleanups.push(() => publisher.close());
    const node = await startTestNode(configWith(pusher(address, { socket: 'sub', endpoint: { mode: 'connect', address }, subscribe: ['orders'] })));
    cleanups.push(() => node.stop());
    const client = await openAutobahn(node.url);
    cleanups.push(() => client.close());
    const events = await collect(client, 'com.example.orders');
    const deadline = Date.now() + 5_000;
    // A SUB socket misses what is published before it has connected: send until one arrives.
    while (events.length === 0 && Date.now() < deadline) {
      await publisher.send(['audit', JSON.stringify({ topic: 'com.example.orders', args: ['not subscribed'] })]);
      await publisher.send(['orders', JSON.stringify({ topic: 'com.example.orders', args: ['order'] })]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(events.length > 0, 'an event arrived');
    assert.ok(events.every(([args]) => args[0] === 'order'), 'the "audit" prefix is not received');
  });

  it('publishes what a PHP script pushes with php-zmq, as the form-locking app does', { skip: phpZmqMissing }, async () => {
    const { address, client } = await start((address) => pusher(address, { topicField: 'form' }));
    const events = await collect(client, 'com.example.form.example.1');
    const update = { form: 'com.example.form.example.1', status: 'entity_updated', change_set: { title: ['Draft', 'Final'] } };
    const { stdout } = await promisify(execFile)(php, [pushScript, address, JSON.stringify(update)], { timeout: 10_000 });
    assert.equal(stdout, 'pushed\n');
    await waitFor(() => events.length === 1, 'the PHP push');
    assert.deepEqual(events[0], [[update], {}]);
  });
});
