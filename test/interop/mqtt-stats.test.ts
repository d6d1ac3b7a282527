/**
 * Session statistics for a session of the MQTT door: its reports count the WAMP messages the
 * door exchanges with the router for it, with the MQTT PUBLISH packets it sent as their bytes.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openAutobahn } from '../support/autobahn.js';
import { connectMqtt, mqttTestConfig } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';
import { waitFor } from '../support/wait.js';

// The test config's payload mapping is Junction's JSON form; 600 to 1024 bytes: two rated messages of 512.
const PAYLOAD = JSON.stringify({ args: ['x'.repeat(680)] });
const PAYLOAD_BYTES = Buffer.byteLength(PAYLOAD);
const config = mqttTestConfig();
config.realms[0]!.options.stats = { ratedMessageSize: 512, afterRatedMessages: 0, afterDurationMs: 60_000, onJoin: false, onLeave: true };
const node = await startTestNode(config);
after(() => node.stop());

describe('session statistics for an MQTT session', () => {
  it('reports an MQTT client as it leaves: its messages, and its PUBLISH packets as bytes (2 rated messages each)', async () => {
    const monitor = await openAutobahn(node.url);
    const reports: [Record<string, unknown>, Record<string, number | string | boolean>][] = [];
    await monitor.session.subscribe('wamp.session.on_stats', (args: typeof reports[number]) => reports.push(args));
    const device = await connectMqtt(node.ports.get('mqtt')!, { protocolVersion: 5 });
    for (let i = 0; i < 2; i++) await device.client.publishAsync('sensors/t1', PAYLOAD, { qos: 1 });
    await device.end();
    await waitFor(() => reports.some(([, stats]) => stats.serializer === 'none'), 'the MQTT session\'s report');
    const [, stats] = reports.find(([, s]) => s.serializer === 'none')!;
    assert.deepEqual([stats.first, stats.last], [true, true]);
    // HELLO, WELCOME, two PUBLISH (acknowledged: two PUBLISHED), and the leaving: at least 6 messages.
    assert.ok((stats.messages as number) >= 6, JSON.stringify(stats));
    // The door measures an incoming PUBLISH as its packet after the fixed header: topic length (2)
    // and topic, packet id (2), MQTT 5 properties length (1, none), payload.
    assert.equal(stats.bytes, 2 * (2 + 'sensors/t1'.length + 2 + 1 + PAYLOAD_BYTES), 'the PUBLISH packets are the bytes the door measures');
    assert.equal(stats.rated_messages, (stats.messages as number) - 2 + 2 * 2, 'each PUBLISH is two rated messages, every other message one');
    await monitor.close();
  });
});
