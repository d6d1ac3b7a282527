import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { mqttTestConfig } from '../support/mqtt.js';
import { startTestNode } from '../support/node.js';

const node = await startTestNode(mqttTestConfig());
after(() => node.stop());
const port = node.ports.get('mqtt')!;

/** The refusal of a CONNECT: its code and, with MQTT 5, its reason string. */
function refusal(protocolVersion: 4 | 5): Promise<{ code: number | undefined; reason: string | undefined }> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion, reconnectPeriod: 0, connectTimeout: 20_000 });
    let reason: string | undefined;
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'connack') reason = packet.properties?.reasonString;
    });
    client.on('connect', () => reject(new Error('the CONNECT was accepted')));
    client.on('error', (error: Error & { code?: number }) => {
      client.end(true);
      resolve({ code: error.code, reason });
    });
  });
}

describe('MQTT: a CONNECT while the router shuts down (the transport still listens)', () => {
  // Bounded: a join that waits for a WELCOME that never comes would hold the CONNECT forever.
  it('is refused at once as "server unavailable", with the router\'s reason in MQTT 5', { timeout: 30_000 }, async () => {
    await node.router.shutdown(0);
    assert.equal((await refusal(4)).code, 3);
    const v5 = await refusal(5);
    assert.equal(v5.code, 0x88);
    assert.match(v5.reason ?? '', /the router is shutting down/);
  });
});
