import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InternalSession } from '../../src/router/internal-session.js';
import { openAutobahn } from '../support/autobahn.js';
import { connectMqtt, mqttTestConfig, subackCodes, type Received, type RecordingClient } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

// realm1 (loose URIs), where anonymous may do everything: subscribing to the meta events included.
// "monitor" signs in to a role that may subscribe to the session meta events and "app." only.
const config = mqttTestConfig({ auth: { anonymous: { type: 'static', role: 'anonymous' }, ticket: { type: 'static', principals: { monitor: { ticket: 'm0nitor', role: 'monitor' } } } } });
config.realms[0]!.roles.push({
  name: 'monitor',
  permissions: ['wamp.session.', 'app.'].map((uri) => ({
    uri, match: 'prefix' as const, cache: true,
    allow: { call: false, register: false, publish: false, subscribe: true },
    disclose: { caller: false, publisher: false },
  })),
});
const node = await startTestNode(config);
after(() => node.stop());
const port = node.ports.get('mqtt')!;

/** The router's own topics ("wamp/...") and the server's ("$...") that a client received. */
const serverTopics = (client: RecordingClient): string[] => client.messages.map((message) => message.topic).filter((topic) => topic.startsWith('wamp/') || topic.startsWith('$'));

for (const protocolVersion of [4, 5] as const) {
  const version = protocolVersion === 4 ? 'MQTT 3.1.1' : 'MQTT 5.0';
  describe(`${version}: the router's meta events and "$" topics on filters starting with a wildcard`, () => {
    it('"#" and "+/session/on_join" get no meta event when a WAMP session joins; "wamp/session/on_join" and "wamp/#" do', async () => {
      const everything = await connectMqtt(port, { protocolVersion });
      const anyFirstLevel = await connectMqtt(port, { protocolVersion });
      const named = await connectMqtt(port, { protocolVersion });
      const allMeta = await connectMqtt(port, { protocolVersion });
      await everything.client.subscribeAsync('#', { qos: 1 });
      await anyFirstLevel.client.subscribeAsync('+/session/on_join', { qos: 1 });
      await named.client.subscribeAsync('wamp/session/on_join', { qos: 1 });
      await allMeta.client.subscribeAsync('wamp/#', { qos: 1 });
      // WAMP keeps Crossbar's behaviour: a prefix subscription to "" gets the meta events its role may subscribe to.
      const wampWatcher = await openAutobahn(node.url);
      const wampTopics: string[] = [];
      await wampWatcher.session.subscribe('', (_args: unknown, _kwargs: unknown, details: { topic: string }) => wampTopics.push(details.topic), { match: 'prefix' });
      const wamp = await openAutobahn(node.url);
      try {
        const joined = (messages: Received[]): boolean => messages.some((message) => message.topic === 'wamp/session/on_join' && message.payload.includes(`"session":${wamp.session.id}`));
        await named.until(joined, 'the WAMP session\'s on_join on "wamp/session/on_join"');
        await allMeta.until(joined, 'the WAMP session\'s on_join on "wamp/#"');
        // Published after the join: each arrives after the on_join would have, on the same router session.
        await wamp.session.publish('app.news', ['hello'], {}, { acknowledge: true });
        await wamp.session.publish('app.session.on_join', ['lookalike'], {}, { acknowledge: true });
        // A loose realm takes a WAMP topic starting with "$": as MQTT's own "$" topics, not on "#".
        await wamp.session.publish('$sys.uptime', [42], {}, { acknowledge: true });
        await everything.until((messages) => messages.some((message) => message.topic === 'app/session/on_join'), 'the application topics on "#"');
        await anyFirstLevel.until((messages) => messages.length === 1, 'the application topic on "+/session/on_join"');
        assert.deepEqual(everything.messages.filter((message) => message.topic.startsWith('app/')).map((message) => [message.topic, message.payload]),
          [['app/news', '{"args":["hello"]}'], ['app/session/on_join', '{"args":["lookalike"]}']]);
        assert.deepEqual(serverTopics(everything), []);
        assert.deepEqual(anyFirstLevel.messages.map((message) => message.topic), ['app/session/on_join']);
        assert.ok(named.messages.every((message) => message.topic === 'wamp/session/on_join'), JSON.stringify(named.messages));
        await waitFor(() => wampTopics.includes('app.session.on_join'), 'the application topics on the WAMP prefix "" subscription');
        assert.ok(wampTopics.includes('wamp.session.on_join'), JSON.stringify(wampTopics));
      } finally {
        await wamp.close();
        await wampWatcher.close();
        await Promise.all([everything, anyFirstLevel, named, allMeta].map((client) => client.end()));
      }
    });

    it('retained events follow the same rule: a retained "wamp." event is replayed to "wamp/#", not to "#"', async () => {
      const suffix = `v${protocolVersion}`;
      const router = await InternalSession.join(node.router.attach.bind(node.router), 'realm1', { authid: 'router-test', authrole: 'anonymous' });
      const wamp = await openAutobahn(node.url);
      const everything = await connectMqtt(port, { protocolVersion });
      const allMeta = await connectMqtt(port, { protocolVersion });
      try {
        // Only the router's own (trusted) sessions may publish on "wamp." topics.
        await router.publishAcknowledged(`wamp.test_${suffix}.retained`, ['meta'], undefined, { retain: true });
        await wamp.session.publish(`$sys_${suffix}.retained`, ['dollar'], {}, { acknowledge: true, retain: true });
        await wamp.session.publish(`app_${suffix}.retained`, ['app'], {}, { acknowledge: true, retain: true });
        await everything.client.subscribeAsync('#', { qos: 1 });
        await allMeta.client.subscribeAsync('wamp/#', { qos: 1 });
        // Live events wait behind a subscription's retained ones: the live "done" comes after them all.
        await router.publishAcknowledged(`wamp.test_${suffix}.done`, []);
        await wamp.session.publish(`app_${suffix}.done`, [], {}, { acknowledge: true });
        await everything.until((messages) => messages.some((message) => message.topic === `app_${suffix}/done`), 'the live event after the retained ones on "#"');
        await allMeta.until((messages) => messages.some((message) => message.topic === `wamp/test_${suffix}/done`), 'the live event after the retained ones on "wamp/#"');
        assert.ok(everything.messages.some((message) => message.topic === `app_${suffix}/retained` && message.retain), JSON.stringify(everything.messages));
        assert.deepEqual(serverTopics(everything), []);
        assert.ok(allMeta.messages.some((message) => message.topic === `wamp/test_${suffix}/retained` && message.retain && message.payload === '{"args":["meta"]}'), JSON.stringify(allMeta.messages));
      } finally {
        await Promise.all([everything, allMeta].map((client) => client.end()));
        await wamp.close();
        router.leave();
      }
    });

    it('a filter naming "wamp/..." is authorized as any subscription: granted where the role may subscribe, refused elsewhere', async () => {
      const monitor = await connectMqtt(port, { protocolVersion, username: 'monitor', password: 'm0nitor' });
      try {
        const failure = protocolVersion === 5 ? 0x87 : 0x80;
        assert.deepEqual(await subackCodes(monitor.client, { 'wamp/session/#': { qos: 0 }, 'wamp/#': { qos: 0 }, '#': { qos: 0 } }), [0, failure, failure]);
        const wamp = await openAutobahn(node.url);
        try {
          await monitor.until((messages) => messages.some((message) => message.topic === 'wamp/session/on_join' && message.payload.includes(`"session":${wamp.session.id}`)), 'the on_join on "wamp/session/#"');
        } finally {
          await wamp.close();
        }
      } finally {
        await monitor.end();
      }
    });
  });
}
