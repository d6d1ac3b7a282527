/**
 * Junction's MQTT door beside mosquitto: each scenario runs, with raw packets, against a real
 * mosquitto and against a Junction node, and what every client received must be the same on
 * both (packets, reason codes, topics, payloads, flags, QoS, properties; per client, in order),
 * except for the scenarios that docs/mqtt.md's table "Beside mosquitto" lists with the reason:
 * there they must differ, so the table cannot outlive a difference. Payloads are passthrough, so
 * Junction hands them on as mosquitto does.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { RunningMosquitto } from '../support/mosquitto.js';
import { mqttTestConfig } from '../support/mqtt.js';
import { ScenarioRun, type Recording } from '../support/mqtt-differential.js';
import { startTestNode } from '../support/node.js';

const skip = skipWithoutDebian('mosquitto');

interface Scenario {
  name: string;
  /** The MQTT versions it runs in (4: 3.1.1). */
  versions: readonly (4 | 5)[];
  script(run: ScenarioRun): Promise<void>;
}

const both = [4, 5] as const;
const v5 = [5] as const;

interface Difference {
  /** The MQTT versions where the recordings differ. */
  versions: (4 | 5)[];
  reason: string;
}

/**
 * Where Junction differs from mosquitto, and why: the table in docs/mqtt.md ("Beside mosquitto"),
 * by scenario name; its MQTT column lists the versions ("3.1.1, 5").
 */
function documentedDifferences(): Map<string, Difference> {
  const doc = readFileSync(join(projectRoot, 'docs', 'mqtt.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Beside mosquitto'));
  const rows = section.slice(0, section.indexOf('\n## ')).split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| scenario') && !line.startsWith('| ---'));
  return new Map(rows.map((row) => {
    const [name, versions, reason] = row.slice(2, -2).split(' | ');
    return [name!, { versions: versions!.split(', ').map((version) => (version === '3.1.1' ? 4 : 5)), reason: reason! }];
  }));
}

const differences = documentedDifferences();

const scenarios: Scenario[] = [
  {
    name: 'the same filter subscribed twice before the first SUBACK',
    versions: both,
    async script(run) {
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('door'), 'open', { qos: 1, retain: true });
      const watcher = await run.client('watcher');
      watcher.sendSubscribes([run.topic('door'), run.topic('door')]);
      await watcher.messages(2);
      await publisher.publish(run.topic('door'), 'live', { qos: 1 });
      await watcher.messages(3);
    },
  },
  {
    name: 'overlapping subscriptions of one client',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('o/#')]: { qos: 1 } });
      await watcher.subscribe({ [run.topic('o/+')]: { qos: 0 } });
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('o/x'), 'both', { qos: 1 });
      await publisher.publish(run.topic('o/marker'), 'marker', { qos: 1 });
      await watcher.receives('marker');
    },
  },
  {
    name: 'subscription identifiers',
    versions: v5,
    async script(run) {
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('i/kept'), 'retained', { qos: 1, retain: true });
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('i/#')]: { qos: 1 } }, { subscriptionIdentifier: 7 });
      await watcher.messages(1);
      await publisher.publish(run.topic('i/x'), 'identified', { qos: 2 });
      await watcher.messages(2);
      // A SUBSCRIBE of the same filter replaces the subscription, identifier included.
      await watcher.subscribe({ [run.topic('i/#')]: { qos: 1, rh: 2 } }, { subscriptionIdentifier: 9 });
      await publisher.publish(run.topic('i/x'), 'renamed', { qos: 1 });
      await watcher.messages(3);
      await watcher.subscribe({ [run.topic('i/#')]: { qos: 1, rh: 2 } });
      await publisher.publish(run.topic('i/x'), 'plain', { qos: 1 });
      await watcher.messages(4);
    },
  },
  {
    name: 'a Subscription Identifier of 0',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('z')]: { qos: 1 } }, { subscriptionIdentifier: 0 });
      await watcher.closedByBroker();
    },
  },
  {
    name: 'No Local',
    versions: v5,
    async script(run) {
      const own = await run.client('own');
      await own.subscribe({ [run.topic('n')]: { qos: 1, nl: true } });
      const other = await run.client('other');
      await other.subscribe({ [run.topic('n')]: { qos: 1 } });
      await own.publish(run.topic('n'), 'mine', { qos: 1 });
      await other.messages(1);
      await other.publish(run.topic('n'), 'theirs', { qos: 1 });
      await own.messages(1);
      await other.messages(2);
    },
  },
  {
    name: 'Retain As Published',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('rap/kept')]: { qos: 1, rap: true }, [run.topic('rap/plain')]: { qos: 1, rap: false } });
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('rap/kept'), 'a', { qos: 1, retain: true });
      await publisher.publish(run.topic('rap/plain'), 'b', { qos: 1, retain: true });
      await watcher.messages(2);
    },
  },
  {
    name: 'a retained PUBLISH reaches a live subscriber with retain 0',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('live')]: { qos: 1 } });
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('live'), 'now', { qos: 1, retain: true });
      await watcher.messages(1);
    },
  },
  {
    name: 'Retain Handling 0, 1 and 2',
    versions: v5,
    async script(run) {
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('rh/x'), 'kept', { qos: 1, retain: true });
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('rh/x')]: { qos: 1, rh: 0 } });
      await watcher.subscribe({ [run.topic('rh/x')]: { qos: 1, rh: 0 } });
      await watcher.subscribe({ [run.topic('rh/x')]: { qos: 1, rh: 1 } });
      await watcher.subscribe({ [run.topic('rh/+')]: { qos: 1, rh: 1 } });
      await watcher.subscribe({ [run.topic('rh/+')]: { qos: 1, rh: 1 } });
      await watcher.subscribe({ [run.topic('rh/#')]: { qos: 1, rh: 2 } });
      await watcher.messages(3);
    },
  },
  {
    name: 'a retained message set, replaced and cleared',
    versions: both,
    async script(run) {
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('k'), 'one', { qos: 1, retain: true });
      await publisher.publish(run.topic('k'), 'two', { qos: 1, retain: true });
      const first = await run.client('first');
      await first.subscribe({ [run.topic('k')]: { qos: 1 } });
      await first.messages(1);
      await publisher.publish(run.topic('k'), '', { qos: 1, retain: true });
      await first.messages(2);
      const second = await run.client('second');
      await second.subscribe({ [run.topic('k')]: { qos: 1 } });
      await publisher.publish(run.topic('k'), 'marker', { qos: 1 });
      await second.messages(1);
    },
  },
  {
    name: 'the will goes on an abrupt close, not on DISCONNECT',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('will')]: { qos: 1 } });
      const will = (payload: string) => ({ will: { topic: run.topic('will'), payload: Buffer.from(payload), qos: 1, retain: false } });
      const polite = await run.client('polite', will('polite'));
      await polite.disconnect();
      const dropped = await run.client('dropped', will('dropped'));
      await dropped.drop();
      await watcher.messages(1);
      if (run.version === 5) {
        const withWill = await run.client('with-will', will('disconnect 0x04'));
        await withWill.disconnect(4);
        await watcher.messages(2);
      }
    },
  },
  {
    name: 'the will goes when the broker closes the connection for a protocol error or a takeover',
    // What the taken over connection receives is compared in a scenario of its own.
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('gone')]: { qos: 1 } });
      const will = (payload: string) => ({ will: { topic: run.topic('gone'), payload: Buffer.from(payload), qos: 1, retain: false } });
      const broken = await run.client('broken', will('protocol error'));
      await broken.publish(run.topic('a/+'), 'wildcard', { qos: 1 });
      await broken.closedByBroker();
      await watcher.messages(1);
      const first = await run.client('first', will('taken over'), 'first', false);
      await run.client('second', {}, 'first');
      await first.closedByBroker();
      await watcher.messages(2);
    },
  },
  {
    name: 'a will delay longer than the session lasts',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('delayed')]: { qos: 1 } });
      const device = await run.client('device', {
        properties: { sessionExpiryInterval: 0 },
        will: { topic: run.topic('delayed'), payload: Buffer.from('session over'), qos: 1, retain: false, properties: { willDelayInterval: 60 } },
      });
      await device.drop();
      await watcher.messages(1);
    },
  },
  {
    name: 'a delayed will not sent when the session is resumed in time',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('resumed')]: { qos: 1 } });
      const persistent = run.persistent();
      const device = await run.client('device', {
        ...persistent, will: { topic: run.topic('resumed'), payload: Buffer.from('too early'), qos: 1, retain: false, properties: { willDelayInterval: 60 } },
      });
      await device.drop();
      const back = await run.client('device-back', persistent, 'device');
      await back.disconnect();
      await run.endSession('device');
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('resumed'), 'marker', { qos: 1 });
      await watcher.receives('marker');
    },
  },
  {
    name: 'retained messages of several topics replayed to a wildcard subscription',
    versions: both,
    async script(run) {
      const publisher = await run.client('publisher');
      for (const name of ['b', 'a', 'c']) await publisher.publish(run.topic(`many/${name}`), name, { qos: 1, retain: true });
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('many/+')]: { qos: 1 } });
      await watcher.messages(3);
    },
  },
  {
    name: 'QoS 1 and 2 for an offline persistent session, delivered in order on reconnect',
    versions: both,
    async script(run) {
      const persistent = run.persistent();
      const device = await run.client('device', persistent);
      await device.subscribe({ [run.topic('p')]: { qos: 2 } });
      await device.disconnect();
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('p'), 'one', { qos: 1 });
      await publisher.publish(run.topic('p'), 'two', { qos: 2 });
      await publisher.publish(run.topic('p'), 'zero', { qos: 0 });
      await publisher.publish(run.topic('p'), 'three', { qos: 2 });
      await publisher.publish(run.topic('p'), 'four', { qos: 1 });
      const back = await run.client('device-back', persistent, 'device');
      await back.messages(4);
      await back.disconnect();
      await run.endSession('device');
    },
  },
  {
    name: 'QoS 1 and 2 in flight when the connection drops, sent again with DUP on reconnect',
    versions: both,
    async script(run) {
      const persistent = run.persistent();
      const device = await run.client('device', persistent);
      await device.subscribe({ [run.topic('f')]: { qos: 2 } });
      device.acknowledges = false;
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('f'), 'one', { qos: 1 });
      await publisher.publish(run.topic('f'), 'two', { qos: 2 });
      await device.messages(2);
      await device.drop();
      const back = await run.client('device-back', persistent, 'device');
      await back.messages(2);
      await back.disconnect();
      await run.endSession('device');
    },
  },
  {
    name: 'the delivered QoS is the lower of the publication\'s and the subscription\'s',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('q/zero')]: { qos: 0 }, [run.topic('q/one')]: { qos: 1 }, [run.topic('q/two')]: { qos: 2 } });
      const publisher = await run.client('publisher');
      for (const level of ['zero', 'one', 'two']) {
        for (const qos of [0, 1, 2] as const) await publisher.publish(run.topic(`q/${level}`), `${level} at ${qos}`, { qos });
      }
      await watcher.messages(9);
    },
  },
  {
    name: 'a QoS 2 PUBLISH sent again before PUBREL is delivered once',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('once')]: { qos: 2 } });
      const publisher = await run.client('publisher');
      publisher.acknowledges = false;
      const packet = { cmd: 'publish', topic: run.topic('once'), payload: Buffer.from('once'), qos: 2, messageId: 40, retain: false };
      publisher.send({ ...packet, dup: false });
      publisher.send({ ...packet, dup: true });
      await publisher.sync();
      publisher.send({ cmd: 'pubrel', messageId: 40 });
      await publisher.sync();
      await watcher.messages(1);
    },
  },
  {
    name: 'a PUBREL for a packet id not awaited',
    versions: both,
    async script(run) {
      const client = await run.client('client');
      client.send({ cmd: 'pubrel', messageId: 77 });
      await client.sync();
    },
  },
  {
    name: 'MQTT 5 properties pass from publisher to subscriber',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('props')]: { qos: 1 } });
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('props'), 'with properties', {
        qos: 1,
        properties: {
          payloadFormatIndicator: true, contentType: 'text/plain', responseTopic: run.topic('reply'),
          correlationData: Buffer.from('c1'), userProperties: { origin: 'test', tags: ['a', 'b'] },
        },
      });
      await watcher.messages(1);
    },
  },
  {
    name: 'a retained will',
    versions: both,
    async script(run) {
      const device = await run.client('device', { will: { topic: run.topic('status'), payload: Buffer.from('offline'), qos: 1, retain: true } });
      await device.drop();
      const late = await run.client('late');
      await late.subscribe({ [run.topic('status')]: { qos: 1 } });
      await late.messages(1);
    },
  },
  {
    name: 'MQTT 5 Session Expiry 0 ends the session with the connection',
    versions: v5,
    async script(run) {
      const device = await run.client('device', { clean: false, properties: { sessionExpiryInterval: 0 } });
      await device.subscribe({ [run.topic('e')]: { qos: 1 } });
      await device.disconnect();
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('e'), 'missed', { qos: 1 });
      const back = await run.client('device-back', { clean: false, properties: { sessionExpiryInterval: 0 } }, 'device');
      await back.sync();
    },
  },
  {
    name: 'UNSUBSCRIBE stops delivery',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('stop')]: { qos: 1 }, [run.topic('go')]: { qos: 1 } });
      await watcher.unsubscribe([run.topic('stop')]);
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('stop'), 'stopped', { qos: 1 });
      await publisher.publish(run.topic('go'), 'marker', { qos: 1 });
      await watcher.messages(1);
    },
  },
  {
    name: 'an empty client id',
    versions: both,
    async script(run) {
      const clean = await run.client('clean', { clientId: '' });
      await clean.sync();
    },
  },
  {
    name: 'UNSUBSCRIBE of a filter never subscribed',
    versions: both,
    async script(run) {
      const client = await run.client('client');
      await client.subscribe({ [run.topic('u/held')]: { qos: 1 } });
      await client.unsubscribe([run.topic('u/never'), run.topic('u/held')]);
    },
  },
  ...['a/#/b', 'a+', ''].map((filter): Scenario => ({
    name: `the invalid filter "${filter}"`,
    versions: both,
    async script(run) {
      const client = await run.client('client');
      await client.subscribe({ [filter === '' ? '' : run.topic(filter)]: { qos: 1 } });
      await client.sync();
    },
  })),
  {
    name: 'UNSUBSCRIBE of an invalid filter',
    versions: both,
    async script(run) {
      const client = await run.client('client');
      await client.unsubscribe([run.topic('a/#/b')]);
      await client.closedByBroker();
    },
  },
  ...['x/+', 'x/#', ''].map((name): Scenario => ({
    name: `a PUBLISH to the topic name "${name}"`,
    versions: both,
    async script(run) {
      const client = await run.client('client');
      await client.publish(name === '' ? '' : run.topic(name), 'wild', { qos: 1 });
      await client.closedByBroker();
    },
  })),
  {
    name: '$ topics are not matched by a filter starting with a wildcard',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [`+/${run.topic('d')}`]: { qos: 1 } });
      const publisher = await run.client('publisher');
      await publisher.publish(`$x/${run.topic('d')}`, 'server', { qos: 1 });
      await publisher.publish(`plain/${run.topic('d')}`, 'plain', { qos: 1 });
      await watcher.messages(1);
    },
  },
  {
    name: '"#" matches the parent level',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('h/#')]: { qos: 1 } });
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('h'), 'parent', { qos: 1 });
      await publisher.publish(run.topic('h/child'), 'child', { qos: 1 });
      await watcher.receives('child');
    },
  },
  {
    name: 'a shared subscription',
    versions: v5,
    async script(run) {
      const client = await run.client('client');
      await client.subscribe({ [`$share/group/${run.topic('s')}`]: { qos: 1 } });
      await client.sync();
    },
  },
  {
    name: 'topic aliases from the client',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('alias')]: { qos: 1 } });
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('alias'), 'set', { qos: 1, properties: { topicAlias: 1 } });
      await publisher.publish('', 'used', { qos: 1, properties: { topicAlias: 1 } });
      await watcher.messages(2);
    },
  },
  {
    name: "the client's Maximum Packet Size",
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher', { properties: { maximumPacketSize: 64 } });
      await watcher.subscribe({ [run.topic('m')]: { qos: 1 } });
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('m'), 'x'.repeat(100), { qos: 1 });
      await publisher.publish(run.topic('m'), 'small', { qos: 1 });
      await watcher.messages(1);
    },
  },
  {
    name: 'a client id taken over by a second connection',
    versions: both,
    async script(run) {
      const first = await run.client('first');
      await first.subscribe({ [run.topic('t')]: { qos: 1 } });
      const second = await run.client('second', {}, 'first');
      await first.closedByBroker();
      await second.subscribe({ [run.topic('t')]: { qos: 1 } });
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('t'), 'to the second', { qos: 1 });
      await second.messages(1);
    },
  },
  {
    name: 'a client silent past 1.5 times its keepalive is closed, and its will sent',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('ka')]: { qos: 1 } });
      const silent = await run.client('silent', { keepalive: 1, will: { topic: run.topic('ka'), payload: Buffer.from('silent'), qos: 1, retain: false } });
      // mosquitto 2.0.11 looks at keepalives every few seconds: it closes the connection some 6 s in.
      await silent.closedByBroker(9_000);
      await watcher.messages(1);
    },
  },
  {
    name: 'PINGREQ keeps a client with a keepalive',
    versions: both,
    async script(run) {
      const pinging = await run.client('pinging', { keepalive: 1 });
      // Twice the 1.5 s a silent client has (mosquitto counts whole seconds: pings come often).
      await pinging.pingFor(3_000, 250);
    },
  },
  {
    name: 'keepalive 0',
    versions: both,
    async script(run) {
      await run.client('none', { keepalive: 0 });
      await run.pause(2_500);
    },
  },
  {
    name: 'a queued message expires for an offline session; the rest carry the interval left',
    versions: v5,
    async script(run) {
      const persistent = run.persistent();
      const device = await run.client('device', persistent);
      await device.subscribe({ [run.topic('x')]: { qos: 1 } });
      await device.disconnect();
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('x'), 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await publisher.publish(run.topic('x'), 'long', { qos: 1, properties: { messageExpiryInterval: 100 } });
      await publisher.publish(run.topic('x'), 'forever', { qos: 1 });
      await run.pause(2_100);
      const back = await run.client('device-back', persistent, 'device');
      await back.receives('forever');
      await publisher.publish(run.topic('x'), 'live', { qos: 1, properties: { messageExpiryInterval: 100 } });
      await back.receives('live');
      await back.disconnect();
      await run.endSession('device');
    },
  },
  {
    name: 'a retained message expires; the rest carry the interval left',
    versions: v5,
    async script(run) {
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('rx/short'), 'short', { qos: 1, retain: true, properties: { messageExpiryInterval: 1 } });
      await publisher.publish(run.topic('rx/long'), 'long', { qos: 1, retain: true, properties: { messageExpiryInterval: 100 } });
      await run.pause(2_100);
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('rx/short')]: { qos: 1 } });
      await watcher.subscribe({ [run.topic('rx/long')]: { qos: 1 } });
      await watcher.messages(1);
    },
  },
  {
    name: 'Session Expiry set in DISCONNECT',
    versions: v5,
    async script(run) {
      const publisher = await run.client('publisher');
      // Lengthened from 1 s to 60: the session is there after 2 s.
      const longer = await run.client('longer', { clean: false, properties: { sessionExpiryInterval: 1 } });
      await longer.subscribe({ [run.topic('se/longer')]: { qos: 1 } });
      await longer.disconnect(0, { sessionExpiryInterval: 60 });
      // Shortened from 60 s to 0: the session ends with the connection.
      const shorter = await run.client('shorter', run.persistent());
      await shorter.subscribe({ [run.topic('se/shorter')]: { qos: 1 } });
      await shorter.disconnect(0, { sessionExpiryInterval: 0 });
      await run.pause(2_100);
      await publisher.publish(run.topic('se/longer'), 'kept', { qos: 1 });
      await publisher.publish(run.topic('se/shorter'), 'gone', { qos: 1 });
      const longerBack = await run.client('longer-back', { clean: false, properties: { sessionExpiryInterval: 0 } }, 'longer');
      await longerBack.messages(1);
      const shorterBack = await run.client('shorter-back', { clean: false, properties: { sessionExpiryInterval: 0 } }, 'shorter');
      await shorterBack.sync();
    },
  },
  {
    name: 'a DISCONNECT setting Session Expiry when CONNECT had 0',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('z0')]: { qos: 1 } });
      const device = await run.client('device', {
        clean: false, properties: { sessionExpiryInterval: 0 }, will: { topic: run.topic('z0'), payload: Buffer.from('not a valid DISCONNECT'), qos: 1, retain: false },
      });
      device.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 60 } });
      await device.closedByBroker();
      await watcher.messages(1);
      const back = await run.client('device-back', { clean: false, properties: { sessionExpiryInterval: 0 } }, 'device');
      await back.sync();
    },
  },
  {
    name: "the client's Receive Maximum bounds the messages in flight",
    // QoS 1: mosquitto sends the next QoS 2 message at a PUBREC, before its PUBREL, an order MQTT does not set.
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher', { properties: { receiveMaximum: 2 } });
      await watcher.subscribe({ [run.topic('rm')]: { qos: 1 } });
      watcher.acknowledges = false;
      const publisher = await run.client('publisher');
      for (let index = 0; index < 5; index++) await publisher.publish(run.topic('rm'), `m${index}`, { qos: 1 });
      await watcher.messages(2);
      await watcher.sync();
      watcher.note('acknowledged');
      watcher.acknowledgeHeld();
      await watcher.messages(5);
    },
  },
  {
    name: 'a QoS 2 message counts against Receive Maximum until its PUBCOMP',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher', { properties: { receiveMaximum: 1 } });
      await watcher.subscribe({ [run.topic('rm2')]: { qos: 2 } });
      watcher.completes = false;
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('rm2'), 'first', { qos: 2 });
      await publisher.publish(run.topic('rm2'), 'second', { qos: 2 });
      await watcher.receivedPackets('pubrel', 1);
      await watcher.sync();
      watcher.note('completed');
      watcher.completeHeld();
      await watcher.receivedPackets('pubrel', 2);
    },
  },
  {
    name: 'an in-flight message whose expiry passed while its client was away',
    versions: v5,
    async script(run) {
      const persistent = run.persistent();
      const device = await run.client('device', persistent);
      await device.subscribe({ [run.topic('fx')]: { qos: 1 } });
      device.acknowledges = false;
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('fx'), 'sent once', { qos: 1, properties: { messageExpiryInterval: 1 } });
      await device.messages(1);
      await device.drop();
      await run.pause(2_100);
      const back = await run.client('device-back', persistent, 'device');
      await back.sync();
      await back.disconnect();
      await run.endSession('device');
    },
  },
  ...(['receiveMaximum', 'maximumPacketSize'] as const).map((property): Scenario => ({
    name: `a CONNECT with ${property === 'receiveMaximum' ? 'Receive Maximum' : 'Maximum Packet Size'} 0`,
    versions: v5,
    async script(run) {
      const client = await run.client('client', { properties: { [property]: 0 } });
      await client.closedByBroker();
    },
  })),
  {
    name: 'a payload that is not UTF-8 with Payload Format Indicator 1',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('utf')]: { qos: 1 } });
      const publisher = await run.client('publisher');
      publisher.send({ cmd: 'publish', topic: run.topic('utf'), payload: Buffer.from([0xff, 0xfe]), qos: 1, messageId: 50, retain: false, dup: false, properties: { payloadFormatIndicator: true } });
      await publisher.sync();
      await publisher.publish(run.topic('utf'), 'marker', { qos: 1 });
      await watcher.receives('marker');
    },
  },
  {
    name: "a client past the broker's Receive Maximum",
    versions: v5,
    async script(run) {
      const client = await run.client('client');
      // Each broker announces its own (mosquitto 20, Junction 100): the client fills it with QoS 2 publications it does not release.
      const maximum = Number(client.connackProperties.receiveMaximum ?? 65_535);
      client.acknowledges = false;
      client.recording = false;
      for (let id = 1; id <= maximum && id <= 1_000; id++) {
        client.send({ cmd: 'publish', topic: run.topic('flood'), payload: Buffer.from(String(id)), qos: 2, messageId: id, retain: false, dup: false });
      }
      await client.receivedPackets('pubrec', maximum);
      client.recording = true;
      client.note(client.count('pubrec') === maximum ? 'a PUBREC for each up to Receive Maximum' : `${client.count('pubrec')} PUBREC of ${maximum}`);
      client.send({ cmd: 'publish', topic: run.topic('flood'), payload: Buffer.from('one more'), qos: 2, messageId: maximum + 1, retain: false, dup: false });
      // Its answer, or the end of the connection, comes before PINGRESP.
      await client.sync();
    },
  },
  {
    name: 'a QoS 1 PUBLISH sent again with DUP',
    versions: both,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('again')]: { qos: 1 } });
      const publisher = await run.client('publisher');
      const packet = { cmd: 'publish', topic: run.topic('again'), payload: Buffer.from('at least once'), qos: 1, messageId: 30, retain: false };
      publisher.send({ ...packet, dup: false });
      publisher.send({ ...packet, dup: true });
      await publisher.sync();
      await publisher.publish(run.topic('again'), 'marker', { qos: 1 });
      await watcher.receives('marker');
    },
  },
  {
    name: 'a topic alias set again to another topic',
    versions: v5,
    async script(run) {
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('ta/#')]: { qos: 1 } });
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('ta/one'), 'first', { qos: 1, properties: { topicAlias: 2 } });
      await publisher.publish(run.topic('ta/two'), 'second', { qos: 1, properties: { topicAlias: 2 } });
      await publisher.publish('', 'by alias', { qos: 1, properties: { topicAlias: 2 } });
      await watcher.messages(3);
    },
  },
  {
    name: 'a QoS 2 message whose PUBREC went before a drop: PUBREL again on reconnect',
    versions: both,
    async script(run) {
      const persistent = run.persistent();
      const device = await run.client('device', persistent);
      await device.subscribe({ [run.topic('rel')]: { qos: 2 } });
      device.completes = false;
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('rel'), 'received', { qos: 2 });
      await device.messages(1);
      await device.sync();
      await device.drop();
      const back = await run.client('device-back', persistent, 'device');
      await back.sync();
      await publisher.publish(run.topic('rel'), 'next', { qos: 2 });
      await back.receivedPackets('pubrel', 2);
      await back.disconnect();
      await run.endSession('device');
    },
  },
  {
    name: "retained and queued messages over the client's Maximum Packet Size",
    versions: v5,
    async script(run) {
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('big/kept'), 'x'.repeat(100), { qos: 1, retain: true });
      const persistent = run.persistent({ maximumPacketSize: 64 });
      const device = await run.client('device', persistent);
      await device.subscribe({ [run.topic('big/#')]: { qos: 1 } });
      await device.disconnect();
      await publisher.publish(run.topic('big/queued'), 'y'.repeat(100), { qos: 1 });
      await publisher.publish(run.topic('big/queued'), 'small', { qos: 1 });
      const back = await run.client('device-back', persistent, 'device');
      await back.receives('small');
      await back.disconnect();
      await run.endSession('device');
    },
  },
  {
    name: 'MQTT 5 properties of a retained message and of a will',
    versions: v5,
    async script(run) {
      const properties = { payloadFormatIndicator: true, contentType: 'application/json', responseTopic: run.topic('reply'), correlationData: Buffer.from([0, 1, 2]), userProperties: { a: '1' } };
      const publisher = await run.client('publisher');
      await publisher.publish(run.topic('pr/kept'), '{}', { qos: 1, retain: true, properties });
      const watcher = await run.client('watcher');
      await watcher.subscribe({ [run.topic('pr/#')]: { qos: 1 } });
      await watcher.messages(1);
      const device = await run.client('device', { will: { topic: run.topic('pr/will'), payload: Buffer.from('gone'), qos: 0, retain: false, properties } });
      await device.drop();
      await watcher.messages(2);
    },
  },
  {
    name: 'Request Response Information and Request Problem Information',
    versions: v5,
    async script(run) {
      const client = await run.client('client', { properties: { requestResponseInformation: true, requestProblemInformation: false } });
      await client.subscribe({ [run.topic('rp')]: { qos: 1 } });
      await client.unsubscribe([run.topic('rp'), run.topic('rp/never')]);
      await client.sync();
    },
  },
  {
    name: 'an empty client id for a persistent session',
    versions: both,
    async script(run) {
      // MQTT 3.1.1 refuses it (CONNACK 2) and closes the connection; MQTT 5 assigns an id.
      const client = await run.client('client', { ...run.persistent(), clientId: '' });
      if (run.version === 4) await client.closedByBroker();
      else await client.sync();
    },
  },
];

async function record(port: number, version: 4 | 5, tag: string, scenario: Scenario): Promise<Recording> {
  const run = new ScenarioRun(port, version, tag);
  try {
    await scenario.script(run);
  } finally {
    await run.finish();
  }
  return run.recording;
}

describe('MQTT beside mosquitto: the same scenario, the same packets', { skip }, () => {
  let mosquitto: RunningMosquitto;
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let junctionPort: number;
  before(async () => {
    mosquitto = await RunningMosquitto.start();
    node = await startTestNode(mqttTestConfig({ payloadMapping: { '': { type: 'passthrough' } } }));
    junctionPort = node.ports.get('mqtt')!;
  });
  after(async () => {
    await node?.stop();
    await mosquitto?.stop();
  });

  scenarios.forEach((scenario, index) => {
    for (const version of scenario.versions) {
      const difference = differences.get(scenario.name);
      const listed = difference?.versions.includes(version) ? difference.reason : undefined;
      it(`MQTT ${version === 4 ? '3.1.1' : '5'}: ${scenario.name}${listed ? ' (a listed difference)' : ''}`, async () => {
        const tag = `d${index}v${version}`;
        // Both at once: a scenario that waits for time to pass waits once.
        const [expected, actual] = await Promise.all([record(mosquitto.port, version, tag, scenario), record(junctionPort, version, tag, scenario)]);
        if (listed) assert.notDeepEqual(actual, expected, `listed as a difference (${listed}), but Junction now behaves as mosquitto: take it off the list`);
        else assert.deepEqual(actual, expected);
      });
    }
  });

  it("docs/mqtt.md's table of differences names scenarios that run in those versions", () => {
    assert.ok(differences.size > 0, 'the table was found');
    for (const [name, { versions }] of differences) {
      const scenario = scenarios.find((candidate) => candidate.name === name);
      assert.ok(scenario, `"${name}" is a scenario`);
      for (const version of versions) assert.ok(scenario.versions.includes(version), `"${name}" runs in MQTT ${version}`);
    }
  });
});
