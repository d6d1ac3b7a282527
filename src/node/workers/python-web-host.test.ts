import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Pool } from 'undici';
import type { ResourceService, WapService, WsgiService } from '../../config/model.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { waitFor } from '../../../test/support/wait.js';
import { PythonWebHost, socketAccepts, webHostLauncher, webHostLog, webHostRestart } from './python-web-host.js';
import { aboutConfig } from '../logger.js';

const home = mkdtempSync(join(tmpdir(), 'junction-web-host-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** A "python" without Twisted: it fails the import as Python would. */
const withoutTwisted = join(home, 'python-without-twisted');
writeFileSync(withoutTwisted, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'twisted\'" >&2\nexit 1\n');
chmodSync(withoutTwisted, 0o755);

/**
 * A Python whose sockets listen a second after they are bound (sitecustomize delays listen()): the
 * app's socket file is there a second before it accepts connections.
 */
const listeningLate = join(home, 'python-listening-late');
mkdirSync(join(home, 'late'));
writeFileSync(join(home, 'late', 'sitecustomize.py'),
  'import socket, time\n_listen = socket.socket.listen\ndef listen(self, *args):\n    time.sleep(1)\n    return _listen(self, *args)\nsocket.socket.listen = listen\n');
writeFileSync(listeningLate, `#!/bin/sh\nPYTHONPATH=${join(home, 'late')} exec /usr/bin/python3 "$@"\n`);
chmodSync(listeningLate, 0o755);

const helloApp = 'def app(environ, start_response):\n    start_response("200 OK", [])\n    return [b"hi"]\n';

function service(executable: string, interpreterGiven: boolean): WsgiService {
  return {
    type: 'wsgi', module: 'hello', object: 'app', minThreads: 0, maxThreads: 2,
    python: { at: 'workers[0]', executable, interpreterGiven, pythonpath: [home], env: { inherit: true, vars: {} }, workdir: home },
    options: { timeoutMs: 1000, maxRequestsInFlight: 2 },
  };
}

function resourceService(classname: string, extra: unknown): ResourceService {
  const { python, options } = service('/usr/bin/python3', false);
  return { type: 'resource', classname, extra, python, options };
}

function templatesService(render: string[], maxOutputBytes: number): WapService & { templates: string } {
  const { python } = service('/usr/bin/python3', false);
  return {
    type: 'wap', templates: join(home, 'templates'), sandbox: true, realm: 'realm1', role: 'web', python,
    routes: render.map((name) => ({ path: `/${name}`, method: 'GET', call: undefined, render: name })),
    options: { callTimeoutMs: 1000, maxOutputBytes, maxRequestsInFlight: 2, postBodyLimit: 100 },
  };
}

/** A request over the host's Unix socket (a GET, or a POST of `body`): status and body. */
async function overSocket(socketPath: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  const client = new Pool('http://localhost', { socketPath });
  try {
    const answer = await client.request({ path, method: body === undefined ? 'GET' : 'POST', body, headers: { host: 'example.test', 'x-real-ip': '203.0.113.7' } });
    return { status: answer.statusCode, body: await answer.body.text() };
  } finally {
    await client.close();
  }
}

function recordingLog(): { log: Logger; warnings: { fields: Record<string, unknown>; message: string }[] } {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const log: Logger = { debug() {}, info() {}, error() {}, warn: (fields, message) => warnings.push({ fields: fields as Record<string, unknown>, message }), child: () => log };
  return { log, warnings };
}

describe('the Python web host of a wsgi or resource path', () => {
  it('a Python that is not there: not started, a warning says which key to change, requests learn why', async () => {
    const { log, warnings } = recordingLog();
    const host = await PythonWebHost.start(service('/nowhere/python3', true), { id: 'wsgi:web:/app', mount: '/app', log, metrics: new MetricsRegistry() });
    const reason = `workers[0].options.python: "/nowhere/python3" is not found or not executable (against ${home}, then on the PATH)`;
    assert.deepEqual(warnings, [{ fields: { reason, ...aboutConfig }, message: webHostLog.unavailable }]);
    assert.equal(host.unreachable(), `the WSGI app is not run: ${reason}`);
    assert.ok(host.stopped(), 'a reload tries again');
    await host.close();
  });

  it('a Python without Twisted: named, with the Debian package to install', async () => {
    const { log, warnings } = recordingLog();
    const host = await PythonWebHost.start(service(withoutTwisted, true), { id: 'wsgi:web:/app', mount: '/app', log, metrics: new MetricsRegistry() });
    assert.equal(warnings[0]?.fields.reason,
      `${withoutTwisted} cannot import Twisted (ModuleNotFoundError: No module named 'twisted'); install it for that Python (Debian: apt install python3-twisted) or set the router worker's options.python`);
    await host.close();
  });

  it('runs the app until closed, counted as a guest, and leaves no socket folder behind', { skip: skipWithoutDebian('python3-twisted') }, async () => {
    writeFileSync(join(home, 'hello.py'), helloApp);
    const { log, warnings } = recordingLog();
    const metrics = new MetricsRegistry();
    const host = await PythonWebHost.start(service('/usr/bin/python3', false), { id: 'wsgi:web:/app', mount: '/app', log, metrics });
    assert.deepEqual(warnings, []);
    assert.ok(existsSync(host.socketPath), 'listening once started');
    assert.ok(!host.stopped());
    assert.equal(metrics.gauge('junction_guest_running', '').value({ guest: 'wsgi:web:/app' }), 1);
    assert.ok(existsSync(webHostLauncher));
    await host.close();
    assert.equal(metrics.counter('junction_guest_exits_total', '').value({ guest: 'wsgi:web:/app', outcome: 'stopped' }), 1);
    assert.ok(!existsSync(host.socketPath));
  });

  it('is started once the app accepts connections, not when its socket file appears (bound, not listening yet)', { skip: skipWithoutDebian('python3-twisted') }, async () => {
    writeFileSync(join(home, 'hello.py'), helloApp);
    const { log, warnings } = recordingLog();
    const host = await PythonWebHost.start(service(listeningLate, true), { id: 'wsgi:web:/app', mount: '/app', log, metrics: new MetricsRegistry() });
    try {
      assert.deepEqual(warnings, []);
      assert.deepEqual(await overSocket(host.socketPath, '/app/x'), { status: 200, body: 'hi' }, 'the first request is served');
    } finally {
      await host.close();
    }
  });

  it('an app that dies while serving (os._exit in a request) is started again, after a delay that doubles while it keeps dying', { skip: skipWithoutDebian('python3-twisted') }, async () => {
    writeFileSync(join(home, 'dying.py'), [
      'import os',
      'def app(environ, start_response):',
      '    if environ["PATH_INFO"] == "/die":',
      '        os._exit(7)',
      '    start_response("200 OK", [])',
      '    return [b"alive"]',
      '',
    ].join('\n'));
    const { log, warnings } = recordingLog();
    const metrics = new MetricsRegistry();
    const host = await PythonWebHost.start({ ...service('/usr/bin/python3', false), module: 'dying' }, { id: 'wsgi:web:/app', mount: '/app', log, metrics });
    try {
      const starts = () => metrics.counter('junction_guest_starts_total', '').value({ guest: 'wsgi:web:/app' });
      const backAgain = async (what: string) => {
        await waitFor(() => !host.stopped(), what, 30_000);
        // Its socket file appears before it listens: the new process is back once it accepts connections.
        for (const deadline = Date.now() + 30_000; !(await socketAccepts(host.socketPath));) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} to listen`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.deepEqual(await overSocket(host.socketPath, '/app/ok'), { status: 200, body: 'alive' }, what);
      };
      assert.deepEqual(await overSocket(host.socketPath, '/app/ok'), { status: 200, body: 'alive' });
      for (const [round, delay] of [webHostRestart.delays.initialDelay, webHostRestart.delays.initialDelay * 2].entries()) {
        await assert.rejects(overSocket(host.socketPath, '/app/die'), 'the request dies with the process');
        await waitFor(() => host.stopped(), 'the host exited', 30_000);
        assert.equal(host.unreachable(), 'the WSGI app has exited (its output is in the log); it is started again shortly');
        assert.deepEqual(warnings.filter((warning) => warning.message === webHostLog.restarting).map(({ fields }) => fields.restartInMs).at(-1), delay, `round ${round}`);
        await backAgain(`started again after round ${round}`);
        assert.equal(starts(), round + 2);
      }
      assert.equal(metrics.counter('junction_guest_exits_total', '').value({ guest: 'wsgi:web:/app', outcome: 'error' }), 2);
    } finally {
      await host.close();
    }
    assert.equal(metrics.gauge('junction_guest_running', '').value({ guest: 'wsgi:web:/app' }), 0, 'nothing left running');
    assert.ok(!existsSync(host.socketPath));
  });

  it('an app that exits before it listens is not started again (a reload does that)', { skip: skipWithoutDebian('python3-twisted') }, async () => {
    const { log, warnings } = recordingLog();
    const metrics = new MetricsRegistry();
    const host = await PythonWebHost.start({ ...service('/usr/bin/python3', false), module: 'no_such_module_here' }, { id: 'wsgi:web:/app', mount: '/app', log, metrics });
    await waitFor(() => host.stopped(), 'the host exited', 30_000);
    await new Promise((resolve) => setTimeout(resolve, webHostRestart.delays.initialDelay + 500));
    assert.equal(metrics.counter('junction_guest_starts_total', '').value({ guest: 'wsgi:web:/app' }), 1);
    assert.ok(!warnings.some((warning) => warning.message === webHostLog.restarting));
    assert.equal(host.unreachable(), 'the WSGI app has exited (its output is in the log); a reload starts it again');
    await host.close();
  });

  it('a resource path: makes the class with its extra and serves the resource at the mount, children included', { skip: skipWithoutDebian('python3-twisted') }, async () => {
    mkdirSync(join(home, 'webres'), { recursive: true });
    writeFileSync(join(home, 'webres', '__init__.py'), '');
    writeFileSync(join(home, 'webres', 'pages.py'), [
      'import json',
      'from twisted.web.resource import Resource',
      'class Echo(Resource):',
      '    isLeaf = True',
      '    def __init__(self, extra):',
      '        Resource.__init__(self)',
      '        self.extra = extra',
      '    def render_GET(self, request):',
      '        seen = {"extra": self.extra, "path": request.path.decode(), "postpath": [p.decode() for p in request.postpath], "client": request.getClientAddress().host}',
      '        return json.dumps(seen).encode()',
      '',
    ].join('\n'));
    const { log, warnings } = recordingLog();
    const host = await PythonWebHost.start(resourceService('webres.pages.Echo', { greeting: 'hi', n: [1, 2] }), { id: 'resource:web:/r', mount: '/r', log, metrics: new MetricsRegistry() });
    assert.deepEqual(warnings, []);
    const answer = await overSocket(host.socketPath, '/r/a/b?x=1');
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { extra: { greeting: 'hi', n: [1, 2] }, path: '/r/a/b', postpath: ['a', 'b'], client: '203.0.113.7' });
    await host.close();
  });

  it('a resource class its module does not have: the host exits saying so, and requests learn that it exited', { skip: skipWithoutDebian('python3-twisted') }, async () => {
    writeFileSync(join(home, 'emptymod.py'), 'x = 1\n');
    const { log } = recordingLog();
    const host = await PythonWebHost.start(resourceService('emptymod.Missing', {}), { id: 'resource:web:/r', mount: '/r', log, metrics: new MetricsRegistry() });
    await waitFor(() => host.stopped(), 'the host exited', 30_000);
    assert.equal(host.unreachable(), 'the resource class has exited (its output is in the log); a reload starts it again');
    await host.close();
  });

  it('a wap path\'s templates: rendered (autoescaped) with the context posted, cut off past the page size', { skip: skipWithoutDebian('python3-jinja2') }, async () => {
    mkdirSync(join(home, 'templates'), { recursive: true });
    writeFileSync(join(home, 'templates', 'hello.html'), 'Hello {{ name }}');
    writeFileSync(join(home, 'templates', 'many.html'), '{% for i in range(n) %}x{% endfor %}');
    const { log, warnings } = recordingLog();
    const host = await PythonWebHost.start(templatesService(['hello.html', 'many.html'], 50), { id: 'wap:web:/w', mount: '/', log, metrics: new MetricsRegistry() });
    assert.deepEqual(warnings, []);
    assert.deepEqual(await overSocket(host.socketPath, '/', JSON.stringify({ template: 'hello.html', context: { name: '<i>Jo</i>' } })), { status: 200, body: 'Hello &lt;i&gt;Jo&lt;/i&gt;' });
    assert.deepEqual(await overSocket(host.socketPath, '/', JSON.stringify({ template: 'many.html', context: { n: 50 } })), { status: 200, body: 'x'.repeat(50) });
    assert.deepEqual(await overSocket(host.socketPath, '/', JSON.stringify({ template: 'many.html', context: { n: 51 } })),
      { status: 500, body: 'the rendered page is over 50 bytes (options.max_output_bytes)' });
    await host.close();
  });

  it('a wap template that is not there: the host exits saying so', { skip: skipWithoutDebian('python3-jinja2') }, async () => {
    const { log } = recordingLog();
    const host = await PythonWebHost.start(templatesService(['missing.html'], 50), { id: 'wap:web:/w', mount: '/', log, metrics: new MetricsRegistry() });
    await waitFor(() => host.stopped(), 'the host exited', 30_000);
    assert.equal(host.unreachable(), 'the template renderer has exited (its output is in the log); a reload starts it again');
    await host.close();
  });
});
