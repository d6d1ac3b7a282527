import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { JunctionConfig } from '../../src/config/model.js';
import { loadCbdir } from '../../src/config/load.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/router/log.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, projectRoot } from '../support/cli.js';
import { eventually, waitFor } from '../support/wait.js';

/**
 * Our Crossbar-format configs (test/fixtures/crossbar-configs, one pattern each, see its README):
 * each is copied into a fresh `.crossbar` folder, loaded by the real loader and started; then what
 * the pattern means in Crossbar is checked with real clients.
 */

const fixtures = join(projectRoot, 'test', 'fixtures', 'crossbar-configs');
const folders: string[] = [];
after(() => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

/** The fixture as DIR/.crossbar/config.json, loaded as `junction start --cbdir DIR/.crossbar` would. */
async function load(name: string, env: Record<string, string> = {}): Promise<JunctionConfig> {
  const home = mkdtempSync(join(tmpdir(), 'junction-cbconfig-'));
  folders.push(home);
  const cbdir = join(home, '.crossbar');
  mkdirSync(cbdir);
  copyFileSync(join(fixtures, name), join(cbdir, 'config.json'));
  return loadCbdir(cbdir, { env });
}

async function withNode(config: JunctionConfig, run: (node: RunningNode) => Promise<void>): Promise<void> {
  const node = await startNode(config, { log: silentLogger, shutdownGraceMs: 100, dataDir: join(folders.at(-1)!, 'data') });
  try {
    await run(node);
  } finally {
    await node.stop();
  }
}

const wsUrl = (node: RunningNode, index = 0): string => node.urls[index]!;

async function session(url: string, realm = 'realm1'): Promise<OpenSession> {
  return openAutobahn(url, 'json', { realm });
}

/** Publishes with acknowledge; resolves to "ok" or the error URI. */
async function publishOutcome(open: OpenSession, topic: string): Promise<string> {
  try {
    await open.session.publish(topic, [1], {}, { acknowledge: true });
    return 'ok';
  } catch (error) {
    return String((error as { error?: string }).error);
  }
}

/** Registers and calls `procedure` in one session; resolves to the result or the error URI. */
async function registerAndCall(open: OpenSession, procedure: string): Promise<unknown> {
  try {
    await open.session.register(procedure, (args: unknown[]) => args[0]);
    return await open.session.call(procedure, ['pong']);
  } catch (error) {
    return String((error as { error?: string }).error);
  }
}

function receiveOne(open: OpenSession, topic: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    open.session.subscribe(topic, (args: unknown[]) => resolve(args[0])).then(() => open.session.publish(topic, ['hello'], {}, { exclude_me: false }), reject);
  });
}

describe('Crossbar-format configs load and start unchanged', () => {
  it('version1-permissions: the old permission form is read as `crossbar upgrade` converts it', async () => {
    const config = await load('version1-permissions.json');
    assert.match(config.notices[0]!, /^version: configuration version 1: 2 permissions in the old form .* `crossbar upgrade`/);
    assert.deepEqual(config.realms[0]!.roles[0]!.permissions!.map((p) => [p.uri, p.match, p.allow, p.cache]), [
      ['com.example.', 'prefix', { call: true, register: true, publish: true, subscribe: true }, true],
      ['', 'prefix', { call: false, register: false, publish: false, subscribe: true }, true],
    ]);
    await withNode(config, async (node) => {
      const client = await session(wsUrl(node));
      assert.equal(await receiveOne(client, 'com.example.news'), 'hello');
      assert.equal(await publishOutcome(client, 'org.other'), 'wamp.error.not_authorized');
      await client.close();
    });
  });

  it('allow-by-default: true allows everything; a role with nothing allows nothing', async () => {
    const config = await load('allow-by-default.json');
    assert.deepEqual(config.realms[0]!.roles.map((role) => [role.name, role.permissions?.length]), [['anonymous', 1], ['nobody', 0]]);
    await withNode(config, async (node) => {
      const client = await session(wsUrl(node));
      assert.equal(await registerAndCall(client, 'any-thing.At-All'), 'pong');
      assert.equal(await publishOutcome(client, 'Some.Topic'), 'ok');
      await client.close();
    });
  });

  it('ubjson-serializers: ubjson is left out of each list, with a notice each', async () => {
    const config = await load('ubjson-serializers.json');
    assert.equal(config.notices.filter((line) => /the ubjson serializer is not spoken by Junction/.test(line)).length, 2);
    const [websocket, rawsocket] = config.listeners;
    assert.deepEqual(websocket!.paths['/']!.type === 'websocket' && websocket!.paths['/']!.serializers, ['cbor', 'msgpack', 'json']);
    assert.deepEqual(rawsocket!.rawsocket!.serializers, ['msgpack']);
    await withNode(config, async (node) => (await session(wsUrl(node))).close());
  });

  it('guest-worker: `node backend.js` is started beside the router and its procedure is called through it', async () => {
    const port = await freePort();
    const config = await load('guest-worker.json', { ROUTER_URL: `ws://127.0.0.1:${port}/` });
    config.listeners[0]!.endpoint.port = port; // the file's 8080 may be taken on a test machine
    const home = folders.at(-1)!;
    writeFileSync(join(home, 'backend.js'), `
      const autobahn = require(${JSON.stringify(join(projectRoot, 'node_modules', 'autobahn'))});
      let input = '';
      process.stdin.on('data', (chunk) => (input += chunk));
      process.stdin.on('end', () => {
        const { realm, procedure } = JSON.parse(input);
        const connection = new autobahn.Connection({ url: process.env.ROUTER_URL, realm, max_retries: 0 });
        connection.onopen = (session) => void session.register(procedure, (args) => args[0] + args[1]);
        connection.open();
      });`);
    await withNode(config, async (node) => {
      const client = await session(wsUrl(node));
      const sum = await eventually(async () => client.session.call('com.example.add', [20, 22]).catch(() => undefined), 'the guest registered com.example.add');
      assert.equal(sum, 42);
      await client.close();
    });
  });

  it('two-routers: both router workers are served, with a notice', async () => {
    const config = await load('two-routers.json');
    assert.ok(config.notices.some((line) => line.startsWith('workers[1]: another router worker: Junction runs one router')));
    assert.deepEqual(config.realms.map((realm) => realm.name), ['frontend', 'backend']);
    assert.deepEqual(config.listeners.map((listener) => [listener.id, listener.kind]), [['transport0', 'websocket'], ['transport1', 'rawsocket']]);
    await withNode(config, async (node) => {
      const client = await session(wsUrl(node), 'backend');
      assert.equal(await registerAndCall(client, 'com.example.ping'), 'pong');
      await client.close();
    });
  });

  it('names-and-ids: realms "v1" and "XX", a role name with a space, id keys', async () => {
    const config = await load('names-and-ids.json');
    assert.deepEqual(config.realms.map((realm) => realm.name), ['v1', 'XX']);
    assert.equal(config.realms[0]!.roles[0]!.name, 'web client');
    assert.deepEqual(
      config.notices.filter((line) => line.includes(' id (id) ')),
      [
        'workers[0].realms[0].id: the realm id (id) is not needed by Junction and was ignored [config.notice.ignored]',
        'workers[0].realms[0].roles[0].id: the role id (id) is not needed by Junction and was ignored [config.notice.ignored]',
      ],
    );
    await withNode(config, async (node) => {
      for (const realm of ['v1', 'XX']) {
        const client = await session(wsUrl(node), realm);
        assert.equal(await receiveOne(client, 'com.example.topic'), 'hello');
        await client.close();
      }
    });
  });

  it('literal-permission-uris: "" exact covers every URI; "*" with match wildcard is the literal "*"', async () => {
    const config = await load('literal-permission-uris.json');
    assert.equal(config.notices.filter((line) => line.startsWith('workers[0].realms[0].roles[0].permissions[')).length, 2);
    await withNode(config, async (node) => {
      const client = await session(wsUrl(node));
      assert.equal(await receiveOne(client, 'any.topic'), 'hello');
      assert.equal(await registerAndCall(client, 'com.example.proc'), 'wamp.error.not_authorized');
      await client.close();
    });
  });

  it('websocket-unix-socket: websocket and web transports listen on Unix sockets', async () => {
    const config = await load('websocket-unix-socket.json');
    await withNode(config, async (node) => {
      const sockets = config.listeners.map((listener) => listener.endpoint.path!);
      assert.equal(await welcomeOver(`ws+unix://${sockets[0]}:/`), 2);
      assert.equal(await welcomeOver(`ws+unix://${sockets[1]}:/ws`), 2);
      assert.ok(node.services.some((served) => served.url === `http://unix:${sockets[1]}/info`));
    });
  });

  it('universal-shared-ws-path: upgrades to /ws go to the websocket part', async () => {
    const config = await load('universal-shared-ws-path.json');
    assert.ok(config.notices.some((line) => line.startsWith('workers[0].transports[0].websocket.ws: takes every request to /ws, as in Crossbar')));
    const ws = config.listeners[0]!.paths['/ws']!;
    assert.deepEqual(ws.type === 'websocket' && ws.serializers, ['json'], 'the websocket part, not the web part');
    await withNode(config, async (node) => (await session(wsUrl(node))).close());
  });

  it('missing-static-directory: starts, answers 404 there, and WebSocket works', async () => {
    const config = await load('missing-static-directory.json');
    await withNode(config, async (node) => {
      const port = node.ports.get('transport0')!;
      assert.equal(await statusOf(port, '/index.html'), 404);
      (await session(`ws://127.0.0.1:${port}/ws`)).close();
    });
  });

  it('cgi-scripts: a script in the folder beside .crossbar answers with the query it was given', async () => {
    const config = await load('cgi-scripts.json');
    const cgi = join(folders.at(-1)!, 'cgi');
    mkdirSync(cgi);
    writeFileSync(join(cgi, 'hello.py'), 'import os\nprint("Content-Type: text/plain\\n")\nprint("hello " + os.environ["QUERY_STRING"], end="")\n');
    await withNode(config, async (node) => {
      const answer = await fetch(`http://127.0.0.1:${node.ports.get('transport0')!}/myscripts/hello.py?name=crossbar`);
      assert.equal(answer.status, 200);
      assert.equal(await answer.text(), 'hello name=crossbar');
    });
  });

  it('shared-port-workers: two router workers on one "shared": true port start one listener that serves both', async () => {
    const config = await load('shared-port-workers.json');
    // The fixture's fixed port, moved to a free one (after loading, which merged the two transports).
    const onFreePort = { ...config, listeners: config.listeners.map((listener) => ({ ...listener, endpoint: { ...listener.endpoint, port: 0 } })) };
    await withNode(onFreePort, async (node) => {
      assert.deepEqual([...node.ports.keys()], ['transport0']);
      const port = node.ports.get('transport0')!;
      const json = await fetch(`http://127.0.0.1:${port}/json`);
      assert.deepEqual(await json.json(), { param1: 'foobar', param2: [1, 2, 3] });
      (await session(`ws://127.0.0.1:${port}/ws`)).close();
    });
  });

  it('web-only-router: without realms the web paths are served and a WAMP join is refused with no_such_realm', async () => {
    const config = await load('web-only-router.json');
    await withNode(config, async (node) => {
      const port = node.ports.get('transport0')!;
      const status = await fetch(`http://127.0.0.1:${port}/status`);
      assert.equal(status.status, 200);
      assert.deepEqual(await status.json(), { service: 'docs', healthy: true });
      await assert.rejects(session(`ws://127.0.0.1:${port}/wamp`), /no_such_realm/);
    });
  });

  it('realm-stats: a monitor subscribed to wamp.session.on_stats gets a session\'s last report as it leaves', async () => {
    const config = await load('realm-stats.json');
    await withNode(config, async (node) => {
      const monitor = await session(wsUrl(node), 'metrics');
      const reports: [Record<string, unknown>, Record<string, unknown>][] = [];
      await monitor.session.subscribe('wamp.session.on_stats', (args: [Record<string, unknown>, Record<string, unknown>]) => reports.push(args));
      const client = await session(wsUrl(node), 'metrics');
      const id = client.session.id as number;
      await client.close();
      await waitFor(() => reports.some(([who]) => who.session === id), 'the report of the session that left');
      const [who, stats] = reports.find(([about]) => about.session === id)!;
      assert.equal(who.realm, 'metrics');
      assert.deepEqual([stats.cycle, stats.first, stats.last, stats.messages], [1, true, true, 4]); // HELLO, WELCOME, GOODBYE both ways
      await monitor.close();
    });
  });

  it('unannounced-subprotocol: a client without Sec-WebSocket-Protocol speaks JSON where the key is false, and is refused beside it', async () => {
    const config = await load('unannounced-subprotocol.json');
    await withNode(config, async (node) => {
      const port = node.ports.get('transport0')!;
      const bare = new WebSocket(`ws://127.0.0.1:${port}/ws`);
      const texts: string[] = [];
      bare.on('message', (data: Buffer) => texts.push(data.toString()));
      await new Promise((resolve, reject) => bare.once('open', resolve).once('error', reject));
      assert.equal(bare.protocol, '');
      bare.send(JSON.stringify([1, 'sensors', { roles: { publisher: {} } }]));
      bare.send(JSON.stringify([16, 1, { acknowledge: true }, 'io.sensor.temperature', [21.5]]));
      await waitFor(() => texts.length >= 2, 'WELCOME and PUBLISHED');
      assert.deepEqual(texts.map((text) => (JSON.parse(text) as unknown[])[0]), [2, 17], 'WELCOME, then PUBLISHED, in JSON');
      bare.close();
      const refused = await new Promise<number>((resolve) => {
        const strict = new WebSocket(`ws://127.0.0.1:${port}/strict`);
        strict.on('unexpected-response', (_request, response) => resolve(response.statusCode!));
        strict.on('error', () => {});
      });
      assert.equal(refused, 400);
    });
  });

  it('fabric-controller: refused in one line naming the feature', async () => {
    await assert.rejects(load('fabric-controller.json'), (error: Error) => {
      const lines = error.message.split('\n');
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, /config\.json:\d+:\d+: controller\.fabric: not supported by Junction: Crossbar FX management uplinks \(fabric\) \[config\.unsupported\]$/);
      return true;
    });
  });

  it('loose-uris: a realm without options takes hyphens and upper case; so do authorizer and authenticator names', async () => {
    const config = await load('loose-uris.json');
    assert.equal(config.realms[0]!.options.uriCheck, 'loose');
    assert.equal(config.realms[0]!.roles[1]!.authorizer, 'com.example.Authorize-Guest');
    await withNode(config, async (node) => {
      const client = await session(wsUrl(node));
      assert.equal(await registerAndCall(client, 'com.myapp.getMessages'), 'pong');
      assert.equal(await receiveOne(client, 'com.example.on-hello'), 'hello');
      assert.equal(await publishOutcome(client, 'com.example.Hello'), 'ok');
      await client.close();
    });
  });
});

/** Opens a raw WAMP-over-WebSocket connection, sends HELLO for realm1; resolves to the reply's message code. */
function welcomeOver(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'wamp.2.json');
    ws.once('open', () => ws.send(JSON.stringify([1, 'realm1', { roles: { subscriber: {} } }])));
    ws.once('message', (data) => {
      ws.close();
      resolve((JSON.parse(String(data)) as number[])[0]!);
    });
    ws.once('error', reject);
  });
}

function statusOf(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    })
      .on('error', reject)
      .end();
  });
}
