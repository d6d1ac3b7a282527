/**
 * What a stopping node still serves, through the real CLI. The procedures its components serve
 * (REST-backed, program-backed) answer its clients until they have left: a call in flight when
 * the stop begins is answered, and so is every call a joined client makes before its GOODBYE.
 * Every line the stop logs comes before "stopped". A pusher-js client that reaches the stopping
 * node is refused with 4100 and backs off, instead of reconnecting in a tight loop; a Pusher
 * connection joined before the stop is closed with 4200 (reconnect at once, perhaps elsewhere).
 *
 * The stop is held open by a guest that ignores SIGTERM (2 s, before the clients' GOODBYE) and a
 * forwarder whose app does not answer (up to 5 s, after it).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { RunningJunction } from '../support/cli.js';
import { WebSocket } from 'ws';
import { RawClient } from '../support/raw-client.js';
import { closed } from '../support/ws-probes.js';
import { pusherClient } from '../pusher/support.js';

const folder = await mkdtemp(join(tmpdir(), 'junction-stop-grace-'));
const running: RunningJunction[] = [];
after(async () => {
  for (const junction of running) junction.kill();
  await rm(folder, { recursive: true, force: true });
});

/** The apps behind the components: /api/ answers at once (the REST-backed procedure), /hook never (it holds the forwarder). */
async function startApps(): Promise<{ port: number; close(): Promise<void> }> {
  const held: ServerResponse[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      if (request.url?.startsWith('/hook')) return void held.push(response);
      response.setHeader('content-type', 'text/plain');
      response.end(`answered ${request.url}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sleeps args[0] ms, then answers args[1]. */
const slowProgram = 'let input = ""; process.stdin.on("data", (chunk) => input += chunk); process.stdin.on("end", () => { const { args } = JSON.parse(input); setTimeout(() => process.stdout.write(JSON.stringify({ args: [args[1]] })), args[0]); });';

function config(appPort: number): object {
  const anyPort = { type: 'tcp', port: 0, interface: '127.0.0.1' };
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: ['anonymous', 'pusher'].map((name) => ({ name, 'allow-by-default': true })) }],
      transports: [
        { type: 'web', id: 'web', endpoint: anyPort, paths: { ws: { type: 'websocket' }, metrics: { type: 'metrics' } } },
        { type: 'pusher', id: 'pusher', endpoint: anyPort, apps: [{ id: 'app1', key: 'app-key', secret: 'app-secret', realm: 'realm1', role: 'pusher' }] },
      ],
      components: [
        { type: 'class', id: 'api', classname: 'crossbar.bridge.rest.RESTCallee', realm: 'realm1', extra: { procedure: 'app.api', baseurl: `http://127.0.0.1:${appPort}/api/` } },
        { type: 'process', id: 'slow', realm: 'realm1', procedure: 'app.slow', command: [process.execPath, '-e', slowProgram] },
        {
          type: 'class', id: 'fwd', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'realm1',
          extra: { subscriptions: [{ topic: 'fwd.held', url: `http://127.0.0.1:${appPort}/hook` }], method: 'POST', expectedcode: 200, timeout: 30_000 },
        },
      ],
    }, {
      type: 'guest', id: 'stubborn', executable: process.execPath,
      arguments: ['-e', 'const junction = process.ppid; process.on("SIGTERM", () => {}); setInterval(() => { if (process.ppid !== junction) process.exit(0); }, 250);'],
    }],
  };
}

async function joined(url: string): Promise<RawClient> {
  const client = await RawClient.open(url);
  client.send([1, 'realm1', { roles: { caller: {}, publisher: {} } }]);
  assert.equal((await client.next())[0], 2);
  return client;
}

/** The sum of a counter's series whose labels include `labels`. */
function metricSum(exposition: string, name: string, labels: Record<string, string>): number {
  return exposition.split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('a stopping node serves its clients until they leave', () => {
  it('answers calls to its components until each client\'s GOODBYE, logs every line before "stopped", and refuses pusher-js with a back-off', { timeout: 180_000 }, async () => {
    const apps = await startApps();
    const file = join(folder, 'config.json');
    await writeFile(file, JSON.stringify(config(apps.port)));
    const junction = RunningJunction.start(['--config', file, '--data-dir', join(folder, 'data')]);
    running.push(junction);
    const wsUrl = String((await junction.started((line) => line.msg === 'listening' && line.service === 'websocket')).url);
    const webUrl = wsUrl.replace(/^ws:/, 'http:').replace(/\/ws$/, '');
    const pusherUrl = String((await junction.started((line) => line.msg === 'listening' && line.service === 'pusher')).url);
    const pusherPort = Number(new URL(pusherUrl).port);

    // A Pusher connection joined before the stop: at its session's GOODBYE it is told to reconnect at once (4200).
    const joinedPusher = new WebSocket(`${pusherUrl.replace('{key}', 'app-key')}?protocol=7`);
    const joinedPusherClosed = closed(joinedPusher);
    await new Promise((resolve) => joinedPusher.once('message', resolve));
    const caller = await joined(wsUrl);
    // Joined and silent: it never answers its GOODBYE, so the stop disconnects it at the end of the grace.
    const silent = await joined(wsUrl);
    caller.send([16, 1, { acknowledge: true }, 'fwd.held', ['held']]);
    await caller.next((message) => message[0] === 17);
    // In flight when the stop begins, and for longer than the guest's 2 s.
    const order: string[] = [];
    caller.ws.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as unknown[];
      if (message[0] === 6) order.push('goodbye');
      if ((message[0] === 50 && message[1] === 2) || (message[0] === 8 && message[2] === 2)) order.push('slow call answered');
    });
    caller.send([48, 2, {}, 'app.slow', [3_500, 'slow answer']]);
    await sleep(300);

    junction.child.kill('SIGTERM');
    await junction.waitForLine((line) => line.msg === 'shutting down');

    // A pusher-js client reaches the stopping node: each refusal makes it wait 1 s (4100), not retry at once (4200).
    const before = await (await fetch(`${webUrl}/metrics`)).text();
    const pusher = pusherClient(pusherPort);
    const windowMs = 3_000;
    const measured = sleep(windowMs).then(async () => {
      const exposition = await (await fetch(`${webUrl}/metrics`)).text();
      pusher.disconnect();
      return metricSum(exposition, 'junction_pusher_refused_connections_total', {}) - metricSum(before, 'junction_pusher_refused_connections_total', {});
    });

    // The caller calls the REST-backed procedure, one call after another, until its GOODBYE.
    const answers: unknown[][] = [];
    let goodbye: unknown[] | undefined;
    for (let request = 10; request < 2_000 && goodbye === undefined; request++) {
      await sleep(10);
      caller.send([48, request, {}, 'app.api', [], { method: 'GET', url: `call-${request}` }]);
      const answer = await caller.next((message) => message[0] === 6 || (message[0] === 50 && message[1] === request) || (message[0] === 8 && message[2] === request), 30_000);
      if (answer[0] === 6) goodbye = answer;
      else answers.push(answer);
    }
    caller.send([6, {}, 'wamp.close.goodbye_and_out']);
    const slow = caller.messages.find((message) => (message[0] === 50 && message[1] === 2) || (message[0] === 8 && message[2] === 2));

    assert.deepEqual(slow?.slice(0, 2).concat(slow.slice(3)), [50, 2, ['slow answer']], `the call in flight at the stop: ${JSON.stringify(slow)}`);
    assert.deepEqual(order, ['slow call answered', 'goodbye']);
    assert.ok(answers.length > 0, 'calls made during the stop');
    const refused = answers.filter((answer) => answer[0] !== 50);
    assert.deepEqual(refused, [], 'every call made before the GOODBYE is answered');
    assert.deepEqual(answers.map((answer) => (answer[3] as { code: number }[])[0]!.code), answers.map(() => 200));
    assert.equal(goodbye![2], 'wamp.close.system_shutdown');

    assert.equal((await joinedPusherClosed).code, 4200);
    const attempts = await measured;
    // pusher-js's back-off is 1 s: at most one attempt a second (and one at once), with room for a late timer.
    assert.ok(attempts >= 1 && attempts <= 5, `pusher-js attempts against the stopping node in ${windowMs} ms: ${attempts}`);

    assert.equal(await junction.waitForExit(), 0);
    assert.ok(silent.messages.some((message) => message[0] === 6), 'the silent client got its GOODBYE');
    // Every line of the stop, each session's leaving included, comes before "stopped".
    const lines = junction.lines.map((line) => line.msg);
    const stoppedAt = lines.indexOf('stopped');
    assert.ok(stoppedAt >= 0, 'a "stopped" line');
    assert.deepEqual(lines.slice(stoppedAt + 1), [], 'no line after "stopped"');
    const shuttingDownAt = lines.indexOf('shutting down');
    assert.ok(lines.slice(shuttingDownAt).filter((msg) => msg === 'session left').length >= 3, 'the caller, the silent client and the components leave during the stop');
    await apps.close();
  });
});
