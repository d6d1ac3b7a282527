import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { generate } from 'mqtt-packet';
import { WebSocket } from 'ws';
import { openAutobahn } from '../support/autobahn.js';
import { connectMqtt, mqttTestConfig, testMqtt } from '../support/mqtt.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { labelledMetric } from '../support/ws-probes.js';

// The web listener's /mqtt path and an mqtt transport: two MQTT doors onto realm1.
const config = mqttTestConfig();
config.listeners[0]!.paths['/mqtt'] = { type: 'mqtt', ...testMqtt() };
const node = await startTestNode(config);
after(() => node.stop());
const mqttUrl = node.url.replace(/\/ws$/, '/mqtt');

describe('MQTT over WebSocket on a web path (browser MQTT clients)', () => {
  it('is served at ws://…/mqtt next to WAMP', () => {
    assert.ok(node.services.some((served) => served.service === 'mqtt' && served.url === mqttUrl));
  });

  for (const protocolVersion of [4, 5] as const) {
    it(`MQTT.js (${protocolVersion === 4 ? '3.1.1' : '5.0'}) over WebSocket and AutobahnJS reach each other`, async () => {
      const wamp = await openAutobahn(node.url);
      const client = await mqtt.connectAsync(mqttUrl, { protocolVersion, reconnectPeriod: 0 });
      try {
        const readings: unknown[] = [];
        await wamp.session.subscribe(`ws${protocolVersion}.temp`, (args: unknown[]) => readings.push(args[0]));
        const received: string[] = [];
        client.on('message', (_topic, payload) => received.push(payload.toString()));
        await client.subscribeAsync(`ws${protocolVersion}/setpoint`, { qos: 1 });
        await client.publishAsync(`ws${protocolVersion}/temp`, '{"args": [19.5]}', { qos: 1 });
        await waitFor(() => readings.length === 1, 'the reading');
        assert.deepEqual(readings, [19.5]);
        await wamp.session.publish(`ws${protocolVersion}.setpoint`, [21], {}, { acknowledge: true, _mqtt: { qos: 1 } });
        await waitFor(() => received.length === 1, 'the setpoint');
        assert.deepEqual(received, ['{"args":[21]}']);
      } finally {
        await client.endAsync();
        await wamp.close();
      }
    });
  }

  it('its sessions list the web path in transport.extra, which tells them from the MQTT listener\'s', async () => {
    const wamp = await openAutobahn(node.url);
    const overWebSocket = await mqtt.connectAsync(mqttUrl, { clientId: 'door-ws', reconnectPeriod: 0 });
    const overTcp = await connectMqtt(node.ports.get('mqtt')!, { clientId: 'door-tcp' });
    try {
      const ids: number[] = await wamp.session.call('wamp.session.list');
      const sessions: { transport: { type: string; extra?: Record<string, unknown> } }[] =
        await Promise.all(ids.map((id) => wamp.session.call('wamp.session.get', [id])));
      const extraOf = (clientId: string) => sessions.find((session) => session.transport.extra?.client_id === clientId)?.transport.extra;
      assert.equal(extraOf('door-ws')?.path, '/mqtt');
      assert.ok(extraOf('door-tcp'), 'the TCP client is listed');
      assert.equal(extraOf('door-tcp')?.path, undefined);
    } finally {
      await overWebSocket.endAsync();
      await overTcp.end();
      await wamp.close();
    }
  });

  it('a plain GET gets 426 saying it is an MQTT over WebSocket path (not the WAMP text)', async () => {
    const response = await fetch(mqttUrl.replace('ws://', 'http://'));
    assert.equal(response.status, 426);
    assert.deepEqual(await response.json(), {
      error: 'upgrade_required', message: 'This is an MQTT over WebSocket path: connect with an MQTT client offering the "mqtt" subprotocol.',
    });
  });

  it('client ids are unique per realm: a WebSocket CONNECT takes over, and resumes, a TCP client\'s session', async () => {
    const clientId = 'roaming-device';
    const overTcp = await connectMqtt(node.ports.get('mqtt')!, { clientId, clean: false });
    await overTcp.client.subscribeAsync('roaming/cmd', { qos: 1 });
    const closed = new Promise<void>((resolve) => overTcp.client.on('close', () => resolve()));
    const received: string[] = [];
    const overWs = mqtt.connect(mqttUrl, { clientId, clean: false, reconnectPeriod: 0 });
    overWs.on('message', (_topic, payload) => received.push(payload.toString()));
    const present = await new Promise<boolean>((resolve, reject) => {
      overWs.once('connect', (connack) => resolve(connack.sessionPresent));
      overWs.once('error', reject);
    });
    await closed;
    assert.equal(present, true);
    const wamp = await openAutobahn(node.url);
    try {
      await wamp.session.publish('roaming.cmd', ['go'], {}, { acknowledge: true, _mqtt: { qos: 1 } });
      await waitFor(() => received.length === 1, 'the command, through the subscription made over TCP');
      assert.deepEqual(received, ['{"args":["go"]}']);
    } finally {
      await wamp.close();
      await overWs.endAsync();
      await overTcp.client.endAsync(true);
      (await connectMqtt(node.ports.get('mqtt')!, { clientId, clean: true })).client.end(); // ends the stored session
    }
  });

  it('refuses a WebSocket that does not offer the "mqtt" subprotocol', async () => {
    const ws = new WebSocket(mqttUrl, ['wamp.2.json']);
    const outcome = await new Promise<string>((resolve) => {
      ws.on('error', (error) => resolve(error.message));
      ws.on('close', (code) => resolve(`closed ${code}`));
    });
    assert.match(outcome, /closed 1002|Server sent no subprotocol/);
  });
});

describe("MQTT on a universal transport's port (Crossbar's universal transport with an mqtt part)", () => {
  it('serves MQTT, RawSocket-less, beside WAMP over WebSocket on one port', async () => {
    const universal = testConfig();
    const web = universal.listeners[0]!;
    universal.listeners[0] = { ...web, kind: 'universal', mqtt: testMqtt() };
    const one = await startTestNode(universal);
    try {
      const port = one.ports.get('test')!;
      assert.ok(one.services.some((served) => served.url === `mqtt://127.0.0.1:${port}`));
      const wamp = await openAutobahn(one.url);
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
      try {
        const readings: unknown[] = [];
        await wamp.session.subscribe('universal.temp', (args: unknown[]) => readings.push(args[0]));
        await client.publishAsync('universal/temp', '{"args": [18]}', { qos: 1 });
        await waitFor(() => readings.length === 1, 'the reading');
        assert.deepEqual(readings, [18]);
      } finally {
        await client.endAsync();
        await wamp.close();
      }
    } finally {
      await one.stop();
    }
  });

  it('closes a connection whose client ended its side (a half-close)', async () => {
    const universal = testConfig();
    universal.listeners[0] = { ...universal.listeners[0]!, kind: 'universal', mqtt: testMqtt() };
    const one = await startTestNode(universal);
    try {
      // The universal port's sockets come from its HTTP server, which keeps a half-closed connection open for an answer.
      const socket = connect(one.ports.get('test')!, '127.0.0.1');
      socket.on('error', () => undefined);
      let received = 0;
      let closed = false;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.on('close', () => (closed = true));
      socket.write(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'half-closed', clean: true, keepalive: 0 }));
      await waitFor(() => received >= 4, 'the CONNACK');
      assert.equal(labelledMetric(one, 'junction_mqtt_connections', { transport: 'test' }), 1);
      socket.end();
      await waitFor(() => closed, 'the router to close its side too');
      await waitFor(() => labelledMetric(one, 'junction_mqtt_connections', { transport: 'test' }) === 0, 'the connection to be counted closed');
    } finally {
      await one.stop();
    }
  });
});
