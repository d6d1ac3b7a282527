import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loadDocument } from '../../src/config/test-support.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/router/log.js';
import { knownCaches, leaves as leaveAll, LeakWatch } from '../support/leak-census.js';
import { leakDocument, LeakBackend, loopback, pause } from '../support/leak-peers.js';
import { RawMqtt } from '../support/mqtt.js';

/**
 * The leak matrix, MQTT: a client enters a half-done state (CONNECT waiting for a dynamic
 * authenticator; QoS 1 and 2 flows half done both ways, on clean and on persistent sessions; a
 * will, with and without a delay; a SUBSCRIBE or a PUBLISH waiting for a dynamic authorizer), then
 * vanishes: its socket destroyed, reset, or closed with DISCONNECT, in turn. Persistent sessions
 * are kept on purpose: they must expire (max_session_expiry, or the client's Session Expiry
 * Interval) and take what they held with them. Afterwards every gauge is back where it was, no
 * table reachable from the router has grown, and (persistent sessions' messages) no kind of heap
 * object has grown by most of the repeats.
 */

const REPEATS = 80;
/** Persistent sessions expire after this many seconds (max_session_expiry). */
const EXPIRY_S = 1;
const mqttOptions = { realm: 'realm1', max_session_expiry: EXPIRY_S };

const document = leakDocument([
  { type: 'web', id: 'web', endpoint: loopback, paths: { ws: { type: 'websocket' } } },
  { type: 'mqtt', id: 'mqtt', endpoint: loopback, options: { ...mqttOptions, role: 'anonymous' } },
  { type: 'mqtt', id: 'signin', endpoint: loopback, options: { ...mqttOptions, auth: { ticket: { type: 'dynamic', authenticator: 'test.authenticate' } } } },
  { type: 'mqtt', id: 'user', endpoint: loopback, options: { ...mqttOptions, role: 'user' } },
]);

let node: RunningNode;
let backend: LeakBackend;
/** Publishes at QoS 2 (what a QoS 2 subscriber then gets at QoS 2), completing each flow. */
let publisher: RawMqtt;
let packetId = 0;
const publish = (topic: string, ...args: unknown[]) => publisher.send({ cmd: 'publish', topic, qos: 2, messageId: (packetId = (packetId % 60_000) + 1), payload: payload(...args) });
const watch = new LeakWatch(() => node.metrics.exposition(), () => [node.router], knownCaches);
/**
 * Persistent sessions of the warm-up expire before the baseline is taken (the expiry's own timer
 * is coarse). `heap`: the door's sessions are held in its listener, out of the tables' reach.
 */
const leaves = (what: string, step: (index: number) => Promise<void>, heap = false) => leaveAll(watch, what, step, { repeats: REPEATS, quietMs: 1_500, heap });
/** An MQTT payload in the default (native JSON) mapping. */
const payload = (...args: unknown[]) => Buffer.from(JSON.stringify({ args }));

before(async () => {
  node = await startNode(loadDocument(document), { log: silentLogger, shutdownGraceMs: 200 });
  backend = await LeakBackend.open(node.urls[0]!);
  await backend.register('test.authorize');
  await backend.register('test.authenticate');
  publisher = await RawMqtt.open(node.ports.get('mqtt')!, 5, (packet) => {
    if (packet.cmd === 'pubrec') publisher.send({ cmd: 'pubrel', messageId: packet.messageId });
    if (packet.cmd !== 'connack') publisher.packets.length = 0; // it keeps no acknowledgement: the heap is compared
  });
  await publisher.connect({ clientId: 'publisher' });
});

after(async () => {
  backend?.peer.vanish(0);
  publisher?.end();
  await node?.stop();
});

type Listener = 'mqtt' | 'signin' | 'user';
const open = (listener: Listener = 'mqtt', version: 4 | 5 = 5) => RawMqtt.open(node.ports.get(listener)!, version);

/** 0: socket destroyed; 1: reset; 2: DISCONNECT, then the socket ended. */
function vanish(client: RawMqtt, way: number): void {
  const socket = (client as unknown as { socket: Socket }).socket;
  if (way === 1) return void socket.resetAndDestroy();
  if (way === 2) client.send({ cmd: 'disconnect' });
  client.end();
}

/** A session: clean, or persistent (MQTT 5: a Session Expiry Interval; 3.1.1: clean false, kept max_session_expiry). */
async function connected(index: number, persistent: boolean, listener: Listener = 'mqtt', extra: Record<string, unknown> = {}): Promise<RawMqtt> {
  const version = persistent && index % 2 === 1 ? 4 : 5;
  const client = await open(listener, version);
  const session = !persistent ? { clean: true } : version === 5 ? { clean: false, properties: { sessionExpiryInterval: EXPIRY_S } } : { clean: false };
  const connack = await client.connect({ clientId: `leak-${persistent ? 'p' : 'c'}-${index}-${Math.random().toString(36).slice(2, 8)}`, ...session, ...extra });
  if ((connack.reasonCode ?? connack.returnCode ?? 0) !== 0) throw new Error(`CONNECT refused: ${JSON.stringify(connack)}`);
  return client;
}

describe('leak matrix: MQTT clients that vanish half done', { timeout: 120_000 }, () => {
  it('before CONNECT', () => leaves('gone before CONNECT', async (index) => {
    vanish(await open(), index % 2);
  }));

  it('CONNECT waiting for a dynamic authenticator, which answers after the client left', () => leaves('gone before the authenticator answered', async (index) => {
    const client = await open('signin');
    const username = `device-${index}`;
    client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: username, clean: true, keepalive: 0, username, password: Buffer.from('pw') });
    const id = await backend.invoked(username);
    vanish(client, index % 2);
    await pause(20);
    backend.answer(id, [{ role: 'anonymous' }]);
  }));

  for (const persistent of [false, true]) {
    const kind = persistent ? 'persistent' : 'clean';

    it(`${kind}: an incoming QoS 2 PUBLISH whose PUBREL never comes, and a QoS 1 one not yet acknowledged`, () => leaves(`${kind}: gone with PUBREC not released`, async (index) => {
      const client = await connected(index, persistent);
      client.send({ cmd: 'publish', topic: `in/${index % 7}`, qos: 2, messageId: 1, payload: payload('half') });
      await client.next('pubrec');
      client.send({ cmd: 'publish', topic: `in/${index % 7}`, qos: 1, messageId: 2, payload: payload('one') });
      vanish(client, index % 3);
    }));

    it(`${kind}: outgoing QoS 1 and 2 messages not acknowledged, PUBREC without PUBCOMP, more queued while offline`, () => leaves(`${kind}: gone with outgoing messages in flight`, async (index) => {
      const client = await connected(index, persistent);
      const topic = `out/${index}`;
      client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: index % 3 === 0 ? 1 : 2 }] });
      await client.next('suback');
      publish(topic, 'payload'.repeat(50));
      publish(topic, 'payload'.repeat(50));
      await client.until((packets) => packets.filter((packet) => packet.cmd === 'publish').length === 2, 'two PUBLISHes');
      if (index % 3 === 2) {
        const first = client.received('publish')[0]!;
        client.send({ cmd: 'pubrec', messageId: first.messageId });
        await client.next('pubrel');
      }
      vanish(client, index % 3);
      await pause(20);
      publish(topic, 'while offline');
    }, persistent));
  }

  it('a will, published when the connection drops (or dropped with DISCONNECT); a delayed will waiting out its delay', () => leaves('gone with a will', async (index) => {
    const delayed = index % 2 === 1;
    const will = { topic: `will/${index % 5}`, payload: payload('bye'), qos: 1, retain: false, ...(delayed ? { properties: { willDelayInterval: EXPIRY_S } } : {}) };
    const client = await connected(index, delayed, 'mqtt', { will });
    vanish(client, index % 3);
  }));

  it('SUBSCRIBE and a QoS 1 PUBLISH waiting for a dynamic authorizer, which answers after the client left', () => leaves('gone before the authorizer answered', async (index) => {
    const client = await connected(index, index % 4 === 3, 'user');
    const topic = `authz/${index}`;
    if (index % 2 === 0) client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    else client.send({ cmd: 'publish', topic, qos: 1, messageId: 1, payload: payload('x') });
    const id = await backend.invoked(`authz.${index}`);
    vanish(client, (index >> 1) % 3);
    await pause(20);
    backend.answer(id, [{ allow: true }]);
  }));
});
