/**
 * A stopping node refuses new sessions on every door from the moment it begins to stop, while
 * the sessions already joined keep working until the router's GOODBYE. The stop is held open by a
 * guest that ignores SIGTERM (2 s, before the clients' GOODBYE) and a forwarder whose app has not
 * answered (it waits for its request in flight, up to 5 s, after the clients have left): the
 * forwarder's accepted message is delivered after the restart.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import { freePort, RunningJunction } from '../support/cli.js';
import { RawClient } from '../support/raw-client.js';
import { closed } from '../support/ws-probes.js';
import { Wamp1Client } from '../support/wamp1-client.js';
import { waitFor } from '../support/wait.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';
import { openRefused } from '../transport/sse-reader.js';

const folder = await mkdtemp(join(tmpdir(), 'junction-stop-order-'));
const running: RunningJunction[] = [];
after(async () => {
  for (const junction of running) junction.kill();
  await rm(folder, { recursive: true, force: true });
});

/** The forwarder's app: holds every request unanswered until `answering`, then answers 200 and keeps the bodies. */
class App {
  answering = false;
  readonly held: ServerResponse[] = [];
  readonly bodies: unknown[] = [];
  readonly server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (!this.answering) return void this.held.push(response);
      this.bodies.push(JSON.parse(body));
      response.end('ok');
    });
  });

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const anyPort = { type: 'tcp', port: 0, interface: '127.0.0.1' };

function stopOrderConfig(appPort: number): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: ['anonymous', 'backend', 'pusher'].map((name) => ({ name, 'allow-by-default': true })) }],
      transports: [
        {
          type: 'web', id: 'web', endpoint: anyPort,
          paths: {
            ws: { type: 'websocket', options: { wamp1: { realm: 'realm1', role: 'anonymous' } } },
            lp: { type: 'longpoll' },
            sse: { type: 'sse', realm: 'realm1' },
            mqtt: { type: 'mqtt', options: { realm: 'realm1' } },
            publish: { type: 'publisher', realm: 'realm1', role: 'backend' },
            call: { type: 'caller', realm: 'realm1', role: 'backend' },
            metrics: { type: 'metrics' },
          },
        },
        { type: 'rawsocket', id: 'raw', endpoint: anyPort, serializers: ['json'] },
        { type: 'mqtt', id: 'mqtt_tcp', endpoint: anyPort, options: { realm: 'realm1' } },
        { type: 'pusher', id: 'pusher', endpoint: anyPort, apps: [{ id: 'app1', key: 'app-key', secret: 'app-secret', realm: 'realm1', role: 'pusher' }] },
      ],
      components: [{
        type: 'class', id: 'fwd', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'realm1',
        extra: { subscriptions: [{ topic: 'fwd.order', url: `http://127.0.0.1:${appPort}/hook` }], method: 'POST', expectedcode: 200, timeout: 30_000 },
      }],
    }, {
      // Ignores SIGTERM: the stop waits 2 s for it (then SIGKILL) before the components stop.
      type: 'guest', id: 'stubborn', executable: process.execPath,
      arguments: ['-e', 'const junction = process.ppid; process.on("SIGTERM", () => {}); setInterval(() => { if (process.ppid !== junction) process.exit(0); }, 250);'],
    }],
  };
}

interface Urls { web: string; raw: number; mqtt: number; pusher: string }

async function startNode(config: string): Promise<{ junction: RunningJunction; urls: Urls }> {
  const junction = RunningJunction.start(['--config', config, '--data-dir', join(folder, 'data')]);
  running.push(junction);
  const served = async (service: string, scheme = 'ws:'): Promise<string> =>
    String((await junction.started((line) => line.msg === 'listening' && line.service === service && String(line.url).startsWith(scheme))).url);
  const ws = await served('websocket');
  return {
    junction,
    urls: {
      web: ws.replace(/^ws:/, 'http:').replace(/\/ws$/, ''),
      raw: Number(new URL((await served('rawsocket', 'rs:')).replace(/^rs:/, 'http:')).port),
      mqtt: Number(new URL((await served('mqtt', 'mqtt:')).replace(/^mqtt:/, 'http:')).port),
      pusher: (await served('pusher')).replace('{key}', 'app-key'),
    },
  };
}

/** One POST on a connection of its own (no keep-alive reuse): a long-poll client's next request during the stop. */
function post(url: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function get(url: string): Promise<string> {
  return (await fetch(url)).text();
}

/** The sum of a counter's series whose labels include `labels`. */
function metricSum(exposition: string, name: string, labels: Record<string, string> = {}): number {
  return exposition.split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** A WAMP v2 session's first answer after HELLO: WELCOME (2) or ABORT (3). */
async function wampAnswer(client: RawClient): Promise<unknown[]> {
  client.send([1, 'realm1', { roles: { publisher: {} } }]);
  return client.next((message) => message[0] === 2 || message[0] === 3);
}

/** An MQTT CONNECT's refusal (code, MQTT 5 reason string), or 'accepted'. */
function mqttOutcome(url: string): Promise<{ code: number | undefined; reason: string | undefined } | 'accepted'> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 20_000 });
    let reason: string | undefined;
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'connack') reason = packet.properties?.reasonString;
    });
    client.on('connect', () => {
      client.end(true);
      resolve('accepted');
    });
    client.on('error', (error: Error & { code?: number }) => {
      client.end(true);
      resolve({ code: error.code, reason });
    });
  });
}

/** What each door answers a new client: a refusal's code, or what shows it was let in. */
async function doorAnswers(urls: Urls): Promise<Record<string, unknown>> {
  const { web } = urls;
  const wsUrl = `${web.replace(/^http:/, 'ws:')}/ws`;
  const v2 = async (): Promise<unknown> => {
    const client = await RawClient.open(wsUrl);
    const answer = await wampAnswer(client);
    client.close();
    return answer[0] === 3 ? answer[2] : 'welcome';
  };
  const rawsocket = async (): Promise<unknown> => {
    const client = await RawSocketClient.open({ port: urls.raw });
    client.send([1, 'realm1', { roles: { publisher: {} } }]);
    const answer = await client.next((message) => message[0] === 2 || message[0] === 3);
    client.close();
    return answer[0] === 3 ? answer[2] : 'welcome';
  };
  const wamp1 = async (): Promise<unknown> => {
    const client = await Wamp1Client.open(wsUrl, []);
    client.ws.terminate();
    return client.closed?.code ?? 'welcome';
  };
  const pusher = async (): Promise<unknown> => {
    const ws = new WebSocket(`${urls.pusher}?protocol=7`);
    ws.on('error', () => {});
    const messages: string[] = [];
    ws.on('message', (data: Buffer) => messages.push(data.toString()));
    const { code } = await closed(ws);
    return { code, messages };
  };
  const mqttAnswer = async (url: string): Promise<unknown> => {
    const outcome = await mqttOutcome(url);
    return outcome === 'accepted' ? outcome : `${outcome.code} ${outcome.reason}`;
  };
  const [wampV2, raw, v1, pusherWs, mqttTcp, mqttWs, sse, longPollOpen, publish, call] = await Promise.all([
    v2(), rawsocket(), wamp1(), pusher(),
    mqttAnswer(`mqtt://127.0.0.1:${urls.mqtt}`), mqttAnswer(`${web.replace(/^http:/, 'ws:')}/mqtt`),
    openRefused(`${web}/sse?topic=chat`).then((refused) => `${refused.status} ${JSON.stringify(refused.body)}`, () => 'stream'),
    post(`${web}/lp/open`, '{"protocols": ["wamp.2.json"]}').then(({ status, body }) => `${status} ${body}`),
    post(`${web}/publish`, '{"topic": "chat", "args": ["over http"]}').then(({ status, body }) => `${status} ${body}`),
    post(`${web}/call`, '{"procedure": "echo", "args": ["over http"]}').then(({ status, body }) => `${status} ${body}`),
  ]);
  return { wampV2, raw, v1, pusherWs, mqttTcp, mqttWs, sse, longPollOpen, publish, call };
}

/** A long-poll session joined before the stop: each request on a connection of its own. */
async function longPollSession(web: string): Promise<{ send(message: unknown[]): Promise<number>; receive(): Promise<unknown[][]> }> {
  const opened = await post(`${web}/lp/open`, '{"protocols": ["wamp.2.json"]}');
  const { transport } = JSON.parse(opened.body) as { transport: string };
  const session = {
    send: async (message: unknown[]) => (await post(`${web}/lp/${transport}/send`, JSON.stringify(message))).status,
    receive: async () => {
      const answer = await post(`${web}/lp/${transport}/receive`, '');
      return answer.body.split('\x1e').filter((part) => part !== '').map((part) => JSON.parse(part) as unknown[]);
    },
  };
  await session.send([1, 'realm1', { roles: { publisher: {} } }]);
  const [welcome] = await session.receive();
  assert.equal(welcome?.[0], 2, `long-poll WELCOME: ${JSON.stringify(welcome)}`);
  return session;
}

const bridgeRefusal = '{"error":"unavailable","message":"the router is shutting down","args":["the router is shutting down"],"kwargs":{}}';

describe('a node that begins to stop refuses new sessions on every door at once', () => {
  it('refuses each door\'s new client cleanly while joined sessions publish and call until the GOODBYE; the forwarder keeps its accepted message', { timeout: 180_000 }, async () => {
    const app = new App();
    const appPort = await app.listen();
    const config = join(folder, 'config.json');
    await writeFile(config, JSON.stringify(stopOrderConfig(appPort)));
    const { junction, urls } = await startNode(config);
    const wsUrl = `${urls.web.replace(/^http:/, 'ws:')}/ws`;

    // Joined before the stop: a subscriber to every join and to "chat", a callee, a long-poll publisher.
    const watcher = await RawClient.open(wsUrl);
    watcher.send([1, 'realm1', { roles: { subscriber: {}, publisher: {}, caller: {} } }]);
    assert.equal((await watcher.next())[0], 2);
    watcher.send([32, 1, {}, 'wamp.session.on_join']);
    watcher.send([32, 2, {}, 'chat']);
    const joinSubscription = (await watcher.next((message) => message[0] === 33 && message[1] === 1))[2];
    await watcher.next((message) => message[0] === 33 && message[1] === 2);
    const callee = await RawClient.open(wsUrl);
    callee.send([1, 'realm1', { roles: { callee: {} } }]);
    assert.equal((await callee.next())[0], 2);
    callee.send([64, 1, {}, 'echo']);
    await callee.next((message) => message[0] === 65);
    callee.ws.on('message', () => {
      const invocation = callee.messages.find((message) => message[0] === 68);
      if (invocation) callee.send([70, invocation[1], {}, invocation[4] ?? []]);
      callee.messages.length = 0;
    });
    const longPoll = await longPollSession(urls.web);

    // The forwarder takes this message and sends it to the app, which does not answer: its stop waits.
    watcher.send([16, 3, { acknowledge: true }, 'fwd.order', ['kept']]);
    await watcher.next((message) => message[0] === 17 && message[1] === 3);
    await waitFor(() => app.held.length === 1, 'the forwarder\'s request to the app', 30_000);
    const before = await get(`${urls.web}/metrics`);
    const joinsBefore = metricSum(before, 'junction_sessions_joined_total', { origin: 'client' });
    watcher.messages.length = 0;

    junction.child.kill('SIGTERM');
    await junction.waitForLine((line) => line.msg === 'shutting down');
    // The joined sessions still work while the guest stops (2 s), before their GOODBYE: a
    // publication from long-poll (a new HTTP connection) reaches the subscriber, and a call is
    // answered by the callee.
    assert.equal(await longPoll.send([16, 4, {}, 'chat', ['from long-poll']]), 204);
    await watcher.next((message) => message[0] === 36 && JSON.stringify(message[4]) === '["from long-poll"]');
    watcher.send([48, 5, {}, 'echo', ['still here']]);
    const result = await watcher.next((message) => message[0] === 50 || (message[0] === 8 && message[1] === 48));
    // New clients are refused until the ports close (the forwarder holds the stop open up to 5 s more).
    const answers = await doorAnswers(urls);
    const during = await get(`${urls.web}/metrics`);
    const stillStopping = junction.lines.every((line) => line.msg !== 'forwarder stopped');

    assert.deepEqual(answers, {
      wampV2: 'wamp.close.system_shutdown',
      raw: 'wamp.close.system_shutdown',
      v1: 1001,
      pusherWs: { code: 4100, messages: ['{"event":"pusher:error","data":{"code":4100,"message":"the server is shutting down: try again shortly"}}'] },
      mqttTcp: '136 the router is shutting down',
      mqttWs: '136 the router is shutting down',
      sse: '503 {"error":"unavailable","message":"the session could not join: wamp.close.system_shutdown: the router is shutting down"}',
      longPollOpen: '503 {"error":"shutting_down","message":"the router is shutting down"}',
      publish: `503 ${bridgeRefusal}`,
      call: `503 ${bridgeRefusal}`,
    });
    assert.deepEqual(result.slice(0, 1).concat(result.slice(3)), [50, ['still here']]);
    assert.ok(stillStopping, 'the checks ran while the forwarder was still stopping');
    assert.equal(watcher.messages.filter((message) => message[0] === 36 && message[1] === joinSubscription).length, 0, 'no wamp.session.on_join during the stop');
    assert.equal(metricSum(during, 'junction_sessions_joined_total', { origin: 'client' }), joinsBefore);
    // Each WAMP-speaking door's refusal counted: WebSocket, RawSocket, WAMP v1, Pusher, MQTT (twice), SSE.
    assert.equal(metricSum(during, 'junction_sessions_refused_stopping_total'), 7);
    assert.equal(metricSum(during, 'junction_mqtt_refused_connections_total', { reason: 'stopping' }), 2);

    // Then the router's GOODBYE ends the joined sessions, and the node exits cleanly.
    const goodbye = await watcher.next((message) => message[0] === 6, 30_000);
    assert.equal(goodbye[2], 'wamp.close.system_shutdown');
    assert.equal(await junction.waitForExit(), 0);

    // The forwarder's message was not lost: the restarted node delivers it.
    app.answering = true;
    const restarted = await startNode(config);
    await waitFor(() => app.bodies.length === 1, 'the forwarded message after the restart', 30_000);
    assert.deepEqual((app.bodies[0] as { args: unknown }).args, ['kept']);
    restarted.junction.child.kill('SIGTERM');
    assert.equal(await restarted.junction.waitForExit(), 0);
    await app.close();
  });

  it('with --workers, the parent keeps the shared port open while the workers stop: a new client gets the same refusals', { timeout: 180_000 }, async () => {
    const app = new App();
    const appPort = await app.listen();
    const port = await freePort();
    const config = join(folder, 'workers-config.json');
    const single = stopOrderConfig(appPort) as { workers: [{ transports: { endpoint: object }[] }] };
    const [web] = single.workers[0].transports;
    web!.endpoint = { type: 'tcp', port, interface: '127.0.0.1' };
    single.workers[0].transports = [web!];
    await writeFile(config, JSON.stringify(single));
    const junction = RunningJunction.start(['--config', config, '--data-dir', join(folder, 'workers-data'), '--workers', '2']);
    running.push(junction);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
    const httpUrl = `http://127.0.0.1:${port}`;

    // The forwarder's worker waits for its request in flight as it stops: the stop is held open.
    const watcher = await RawClient.open(`ws://127.0.0.1:${port}/ws`);
    assert.equal((await wampAnswer(watcher))[0], 2);
    watcher.send([16, 1, { acknowledge: true }, 'fwd.order', ['kept']]);
    await watcher.next((message) => message[0] === 17);
    await waitFor(() => app.held.length === 1, 'the forwarder\'s request to the app', 30_000);

    junction.child.kill('SIGTERM');
    await waitFor(() => junction.lines.filter((line) => line.msg === 'shutting down').length === 2, 'both workers stopping', 30_000);
    const newcomer = await RawClient.open(`ws://127.0.0.1:${port}/ws`);
    const [opened, published] = await Promise.all([
      post(`${httpUrl}/lp/open`, '{"protocols": ["wamp.2.json"]}'),
      post(`${httpUrl}/publish`, '{"topic": "chat", "args": ["over http"]}'),
    ]);
    assert.equal((await wampAnswer(newcomer))[2], 'wamp.close.system_shutdown');
    assert.equal(`${opened.status} ${opened.body}`, '503 {"error":"shutting_down","message":"the router is shutting down"}');
    assert.equal(`${published.status} ${published.body}`, `503 ${bridgeRefusal}`);
    assert.equal(await junction.waitForExit(), 0);
    await app.close();
  });
});
