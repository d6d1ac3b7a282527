import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fetch } from 'undici';
import { freePort, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { processGone } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * A Crossbar-format config with `wsgi` and `reverseproxy` paths, not edited for Junction, run by
 * the real CLI (`junction start --cbdir`): a plain WSGI callable (no framework) found on the router
 * worker's pythonpath, served at the root and at a nested path, beside a WAMP WebSocket path and a
 * reverse proxy to an HTTP server; the WSGI app's Python process stops with the node.
 */

const folders: string[] = [];
const running: RunningJunction[] = [];
const servers: Server[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  servers.forEach((server) => server.close());
  folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
});

/** What a WSGI app sees of a request, as JSON; the body it read from wsgi.input too. */
const wsgiApp = `
import json

def application(environ, start_response):
    keys = ('REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING', 'REMOTE_ADDR', 'SERVER_NAME', 'SERVER_PORT', 'HTTP_HOST', 'HTTP_X_APP', 'wsgi.url_scheme')
    length = int(environ.get('CONTENT_LENGTH') or 0)
    seen = {key: environ.get(key) for key in keys}
    seen['body'] = environ['wsgi.input'].read(length).decode('utf-8')
    body = json.dumps(seen).encode('utf-8')
    start_response('200 OK', [('Content-Type', 'application/json'), ('Content-Length', str(len(body))), ('X-Wsgi', 'yes')])
    return [body]
`;

describe('wsgi and reverseproxy paths of a Crossbar config, run by junction start --cbdir', { skip: skipWithoutDebian('python3-twisted'), timeout: 120_000 }, () => {
  it('serves the WSGI app at its paths as Crossbar shows it requests, and forwards the reverseproxy path', async () => {
    const upstream = createServer((request, response) => response.end(`upstream saw ${request.method} ${request.url}`));
    servers.push(upstream);
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'junction-wsgi-e2e-'));
    folders.push(home);
    const cbdir = join(home, '.crossbar');
    mkdirSync(cbdir);
    mkdirSync(join(home, 'app'));
    writeFileSync(join(home, 'app', 'hello.py'), wsgiApp);
    writeFileSync(join(cbdir, 'config.json'), JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        options: { pythonpath: ['../app'] },
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
        transports: [{
          type: 'web',
          endpoint: { type: 'tcp', port, interface: '127.0.0.1' },
          paths: {
            '/': { type: 'wsgi', module: 'hello', object: 'application' },
            ws: { type: 'websocket' },
            api: { type: 'path', paths: { v1: { type: 'wsgi', module: 'hello', object: 'application', maxthreads: 4 } } },
            backend: { type: 'reverseproxy', host: '127.0.0.1', port: (upstream.address() as AddressInfo).port, path: '/svc' },
          },
        }],
      }],
    }, null, 2));
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    await junction.started((line) => line.msg === 'listening' && line.service === 'websocket');

    const root = await fetch(`http://127.0.0.1:${port}/some/page?x=1`, { headers: { 'X-App': 'a' } });
    assert.equal(root.status, 200);
    assert.equal(root.headers.get('x-wsgi'), 'yes');
    assert.deepEqual(await root.json(), {
      REQUEST_METHOD: 'GET', SCRIPT_NAME: '', PATH_INFO: '/some/page', QUERY_STRING: 'x=1', REMOTE_ADDR: '127.0.0.1',
      SERVER_NAME: '127.0.0.1', SERVER_PORT: String(port), HTTP_HOST: `127.0.0.1:${port}`, HTTP_X_APP: 'a', 'wsgi.url_scheme': 'http', body: '',
    });

    const nested = await fetch(`http://127.0.0.1:${port}/api/v1/items`, { method: 'POST', body: 'name=junction', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const seen = await nested.json() as Record<string, string>;
    assert.deepEqual([seen.REQUEST_METHOD, seen.SCRIPT_NAME, seen.PATH_INFO, seen.body], ['POST', '/api/v1', '/items', 'name=junction']);

    const proxied = await fetch(`http://127.0.0.1:${port}/backend/x?y=2`);
    assert.equal(await proxied.text(), 'upstream saw GET /svc/x?y=2');

    // The WebSocket path is still the router's, not the WSGI app's.
    const ws = await fetch(`http://127.0.0.1:${port}/ws`);
    assert.equal(ws.status, 426);

    const hosts = junction.lines.filter((line) => line.msg === 'guest worker started' && String(line.guest).startsWith('wsgi:'));
    assert.deepEqual(hosts.map((line) => line.guest).sort(), ['wsgi:transport0:/', 'wsgi:transport0:/api/v1']);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
    for (const line of hosts) await waitFor(() => processGone(Number(line.pid)), `the WSGI host ${String(line.guest)} stopped with the node`);
  });

  it('an app that cannot be imported: its path answers 502 saying so; once fixed, a reload starts it', async () => {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'junction-wsgi-e2e-'));
    folders.push(home);
    writeFileSync(join(home, 'config.json'), JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        options: { pythonpath: ['.'] },
        transports: [{ type: 'web', endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, paths: { app: { type: 'wsgi', module: 'late_app', object: 'application' }, metrics: { type: 'metrics' } } }],
      }],
    }));
    const junction = RunningJunction.start(['--config', join(home, 'config.json')], home);
    running.push(junction);
    await junction.started((line) => line.msg === 'listening' && line.service === 'wsgi');
    const failure = await junction.waitForLine((line) => line.stream === 'stderr' && String(line.msg).includes('late_app'), 30_000);
    assert.match(String(failure.msg), /^WSGI app module "late_app" import failed: ModuleNotFoundError/);
    await junction.waitForLine((line) => line.msg.startsWith('guest worker exited with an error'), 30_000);
    const answer = await fetch(`http://127.0.0.1:${port}/app`);
    assert.equal(answer.status, 502);
    assert.deepEqual(await answer.json(), { error: 'upstream_unreachable', message: 'the WSGI app has exited (its output is in the log); a reload starts it again' });

    // The module is there now; the config file is unchanged.
    writeFileSync(join(home, 'late_app.py'), wsgiApp);
    junction.child.kill('SIGHUP');
    const reload = await junction.waitForLine((line) => line.msg === 'reload: 1 change applied', 30_000);
    assert.deepEqual(reload.applied, ['transport "transport0": paths rebuilt /app']);
    const seen = await (await fetch(`http://127.0.0.1:${port}/app/now`)).json() as Record<string, string>;
    assert.deepEqual([seen.SCRIPT_NAME, seen.PATH_INFO], ['/app', '/now']);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(metrics, /^junction_guest_running\{guest="wsgi:transport0:\/app"\} 1$/m);
    assert.match(metrics, /^junction_guest_exits_total\{guest="wsgi:transport0:\/app",outcome="error"\} 1$/m);
    assert.match(metrics, /^junction_http_forward_requests_total\{outcome="unreachable",path="\/app",service="wsgi",transport="transport0"\} 1$/m);

    // A changed path: its new process starts before the old one stops; the gauge counts one running.
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { workers: { transports: { paths: { app: Record<string, unknown> } }[] }[] };
    config.workers[0]!.transports[0]!.paths.app.maxthreads = 3;
    writeFileSync(join(home, 'config.json'), JSON.stringify(config));
    junction.child.kill('SIGHUP');
    await junction.waitForLine((line) => line.msg === 'guest worker stopped', 30_000);
    const after = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(after, /^junction_guest_running\{guest="wsgi:transport0:\/app"\} 1$/m);
    assert.match(after, /^junction_guest_starts_total\{guest="wsgi:transport0:\/app"\} 3$/m);
    assert.equal((await fetch(`http://127.0.0.1:${port}/app`)).status, 200);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });
});

/** A WSGI app whose response never ends: a chunk every 100 ms, as a long download or a stream. */
const endlessApp = `
import time

def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    def chunks():
        while True:
            yield b'chunk\\n'
            time.sleep(0.1)
    return chunks()
`;

/**
 * Starts Junction with `app` (module hello) at the root, lets `request` use it, SIGKILLs Junction
 * and waits (bounded) until the WSGI host has ended too.
 */
async function killedWhileServing(app: string, request: (url: string) => Promise<void>): Promise<void> {
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'junction-wsgi-e2e-'));
  folders.push(home);
  writeFileSync(join(home, 'hello.py'), app);
  writeFileSync(join(home, 'config.json'), JSON.stringify({
    version: 2,
    workers: [{ type: 'router', options: { pythonpath: ['.'] }, transports: [{ type: 'web', endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, paths: { '/': { type: 'wsgi', module: 'hello', object: 'application' } } }] }],
  }));
  const junction = RunningJunction.start(['--config', join(home, 'config.json')], home);
  running.push(junction);
  const host = await junction.started((line) => line.msg === 'guest worker started');
  await junction.started((line) => line.msg === 'listening' && line.service === 'wsgi');
  await request(`http://127.0.0.1:${port}/`);
  junction.child.kill('SIGKILL');
  await junction.waitForExit();
  await waitFor(() => processGone(Number(host.pid)), 'the WSGI host stopped once its Junction was gone', 15_000);
}

describe('a WSGI host whose Junction is killed outright (SIGKILL)', { skip: skipWithoutDebian('python3-twisted'), timeout: 120_000 }, () => {
  it('stops by itself: no app server is left behind', async () => {
    await killedWhileServing(wsgiApp, async (url) => assert.equal((await fetch(url)).status, 200));
  });

  it('stops by itself in the middle of a response (its stop does not wait on the app)', async () => {
    // The parent-death SIGTERM starts Twisted's stop, which joined the app's thread in the
    // reactor's thread while that thread waited for the reactor to write its next chunk: for ever.
    await killedWhileServing(endlessApp, async (url) => {
      const reader = (await fetch(url)).body!.getReader();
      assert.match(new TextDecoder().decode((await reader.read()).value), /chunk/);
    });
  });
});

/** A Flask app as crossbar-examples' wsgi example writes one, with a link built by url_for (which must carry the mount path). */
const flaskApp = `
from flask import Flask, request, url_for

app = Flask(__name__)


@app.route('/')
def home():
    return 'Hello from Flask; next: %s' % url_for('item', name='junction')


@app.route('/items/<name>', methods=['GET', 'POST'])
def item(name):
    return '%s %s from %s, form %s' % (request.method, name, request.remote_addr, dict(request.form))
`;

describe('a Flask app on a wsgi path', { skip: skipWithoutDebian('python3-flask'), timeout: 120_000 }, () => {
  it('answers its routes below the path, and url_for links include the path', async () => {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'junction-flask-e2e-'));
    folders.push(home);
    const cbdir = join(home, '.crossbar');
    mkdirSync(cbdir);
    writeFileSync(join(home, 'myapp.py'), flaskApp);
    writeFileSync(join(cbdir, 'config.json'), JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        options: { pythonpath: ['..'] },
        transports: [{ type: 'web', endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, paths: { shop: { type: 'wsgi', module: 'myapp', object: 'app' } } }],
      }],
    }));
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    await junction.started((line) => line.msg === 'listening' && line.service === 'wsgi');
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/shop/`)).text(), 'Hello from Flask; next: /shop/items/junction');
    const posted = await fetch(`http://127.0.0.1:${port}/shop/items/junction`, { method: 'POST', body: new URLSearchParams({ size: 'L' }) });
    assert.equal(await posted.text(), "POST junction from 127.0.0.1, form {'size': 'L'}");
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });
});
