import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { after, describe, it } from 'node:test';
import { freePort, projectRoot, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { RunningRedis } from '../support/redis-server.js';
import { writeZip } from '../support/zip.js';

/**
 * Every metric docs/metrics.md lists is exported by a running router, and every junction_* metric
 * it exports is listed: `junction start --workers 2` in a Redis cluster, with every kind of
 * transport and component that has metrics of its own (web paths with the HTTP bridge, long-poll,
 * SSE, WAMP v1, cookie authentication, HTTP and WebSocket reverse proxies, CGI scripts, file uploads, a wap page, a ZIP archive, RawSocket, MQTT, Pusher, WebSocket and TCP echo servers, a Flash policy transport, a forwarder, ZeroMQ, stdio,
 * process and a RESTCallee). metrics-doc.test.ts compares the doc with the names in the source;
 * this shows that each is registered at run time.
 */

const skip = skipWithoutDebian('redis-server') || skipWithoutDebian('python3');
const scratch = mkdtempSync(join(tmpdir(), 'junction-metrics-live-'));
let redis: RunningRedis | undefined;
let junction: RunningJunction | undefined;
after(async () => {
  junction?.kill();
  await redis?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const everything = { call: true, register: true, publish: true, subscribe: true };

/** A one-file ZIP archive for the archive path. */
function appArchive(): string {
  const path = join(scratch, 'app.zip');
  writeZip(path, [{ name: 'index.html', data: '<h1>app</h1>' }]);
  return path;
}

async function fullConfig(redisUrl: string): Promise<object> {
  // Port 0 everywhere: the OS picks each port as it binds. A port picked free beforehand can be
  // taken by the time the parent binds it, seconds later under load: the start failed with port_in_use.
  const tcp = { type: 'tcp', interface: '127.0.0.1', port: 0 };
  return {
    version: 2,
    workers: [{
      type: 'router',
      cluster: { redis: { url: redisUrl }, node_id: 'live' },
      realms: [{
        name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: everything }] }],
        // A history file: its metrics exist with it.
        store: { type: 'cfxdb', path: 'history', 'event-history': [{ uri: 'news', match: 'exact' }] },
      }],
      transports: [
        {
          type: 'web', endpoint: tcp,
          paths: {
            ws: { type: 'websocket', options: { wamp1: { realm: 'realm1', role: 'anonymous' } } },
            signed: { type: 'websocket', cookie: {}, auth: { anonymous: { type: 'static' }, cookie: {} } },
            publish: { type: 'publisher', realm: 'realm1', role: 'anonymous' },
            call: { type: 'caller', realm: 'realm1', role: 'anonymous' },
            lp: { type: 'longpoll' },
            sse: { type: 'sse', realm: 'realm1' },
            metrics: { type: 'metrics' },
            // Nothing listens on the discard port: the proxy's metrics exist before its first client.
            proxied: { type: 'websocket-reverseproxy', backend: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: 9 } } },
            forwarded: { type: 'reverseproxy', host: '127.0.0.1', port: 9 },
            scripts: { type: 'cgi', directory: scratch, processor: '/usr/bin/python3' },
            upload: {
              type: 'upload', realm: 'realm1', role: 'anonymous', directory: scratch,
              form_fields: { file_name: 'name', mime_type: 'type', total_size: 'size', chunk_number: 'n', chunk_size: 'size1', total_chunks: 'count', content: 'file' },
            },
            // Its templates folder is not there: the renderer exits, and the path's metrics are there all the same.
            page: { type: 'wap', templates: 'no-templates', wamp: { realm: 'realm1', authrole: 'anonymous' }, routes: [{ path: '/', call: null, render: 'page.html' }] },
            app: { type: 'archive', archive: appArchive() },
          },
        },
        { type: 'rawsocket', endpoint: tcp },
        { type: 'mqtt', endpoint: tcp, options: { realm: 'realm1' } },
        { type: 'pusher', endpoint: tcp, apps: [{ id: 'app1', key: 'app-key', secret: 'app-secret', realm: 'realm1', role: 'anonymous' }] },
        { type: 'websocket.testee', endpoint: tcp },
        { type: 'flashpolicy', endpoint: tcp },
        { type: 'stream.testee', endpoint: tcp },
      ],
      components: [
        { type: 'class', id: 'fwd', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'realm1', extra: { subscriptions: [{ topic: 'orders.new', url: 'http://127.0.0.1:9/hook' }] } },
        // connect, not bind: the component runs in each worker (docs/cluster.md).
        { type: 'zeromq', id: 'zpush', realm: 'realm1', connect: `tcp://127.0.0.1:${await freePort()}` },
        { type: 'stdio', id: 'program', realm: 'realm1', command: [process.execPath, '-e', 'process.stdin.resume()'] },
        { type: 'process', id: 'run', realm: 'realm1', procedure: 'tools.run', command: [process.execPath, '-e', '0'] },
        { type: 'class', id: 'rest', classname: 'crossbar.bridge.rest.RESTCallee', realm: 'realm1', extra: { procedure: 'app.rest', baseurl: 'http://127.0.0.1:9/' } },
      ],
    }],
  };
}

describe('docs/metrics.md against a running router', { skip, timeout: 120_000 }, () => {
  it('lists exactly the junction_* metrics /metrics exports', async () => {
    redis = await RunningRedis.start();
    const file = join(scratch, 'config.json');
    writeFileSync(file, JSON.stringify(await fullConfig(redis.url)));
    junction = RunningJunction.start(['--config', file, '--workers', '2', '--data-dir', join(scratch, 'data')]);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
    const metricsUrl = String((await junction.started((line) => line.msg === 'listening' && line.service === 'metrics')).url);

    const documented = [...readFileSync(join(projectRoot, 'docs', 'metrics.md'), 'utf8').matchAll(/^\| `(junction_[a-z0-9_]+)` \|/gm)].map((match) => match[1]!).sort();
    const seen = new Set<string>();
    // The parent's counts reach a worker's registry with its first report (every second), and
    // each worker answers for itself (the forwarder runs on one of them): bounded retries, each
    // on a new connection so that both workers answer, and the union of what they export.
    for (let attempt = 0; attempt < 40 && seen.size < documented.length; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      const connection = new Agent();
      const text = await (await fetch(metricsUrl, { dispatcher: connection })).text();
      await connection.close();
      for (const match of text.matchAll(/^# TYPE (junction_[a-z0-9_]+) /gm)) seen.add(match[1]!);
    }
    const exported = [...seen].sort();
    assert.deepEqual(documented.filter((name) => !exported.includes(name)), [], 'documented, not exported');
    assert.deepEqual(exported.filter((name) => !documented.includes(name)), [], 'exported, not documented');
  });
});
