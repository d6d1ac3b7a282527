import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fetch } from 'undici';
import { freePort, runJunction, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { processGone } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/**
 * A Crossbar-format config with a `resource` path (a Twisted Web resource class in a module of the
 * router worker's pythonpath, made with the path's `extra`) and a `static` path serving a folder
 * shipped inside a Python package (`package` + `resource`), not edited for Junction, run by the
 * real CLI (`junction start --cbdir`); then the failures: a class that is not there (502 saying
 * so), a package that cannot be imported (the start is refused, as Crossbar's transport fails).
 */

const folders: string[] = [];
const running: RunningJunction[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
});

/** A resource whose children answer with what they saw: `extra`, the request path, the client. */
const resourceModule = `
import json
from twisted.web.resource import Resource


class Seen(Resource):
    isLeaf = True

    def __init__(self, extra):
        Resource.__init__(self)
        self.extra = extra

    def render_GET(self, request):
        request.setHeader(b'content-type', b'application/json')
        seen = {'extra': self.extra, 'path': request.path.decode(), 'args': {k.decode(): [v.decode() for v in vs] for k, vs in request.args.items()},
                'client': request.getClientAddress().host, 'secure': request.isSecure()}
        return json.dumps(seen).encode()

    def render_POST(self, request):
        return b'posted: ' + request.content.read()
`;

/** Writes a Crossbar node folder (home/.crossbar/config.json) whose router has `paths`, and its Python code in home/app. */
function crossbarNode(paths: Record<string, unknown>, port: number): { home: string; cbdir: string } {
  const home = mkdtempSync(join(tmpdir(), 'junction-pypaths-e2e-'));
  folders.push(home);
  const cbdir = join(home, '.crossbar');
  mkdirSync(cbdir);
  mkdirSync(join(home, 'app', 'sitepkg', 'web', 'css'), { recursive: true });
  writeFileSync(join(home, 'app', 'pages.py'), resourceModule);
  writeFileSync(join(home, 'app', 'sitepkg', '__init__.py'), '');
  writeFileSync(join(home, 'app', 'sitepkg', 'web', 'index.html'), '<h1>from the package</h1>');
  writeFileSync(join(home, 'app', 'sitepkg', 'web', 'css', 'site.css'), 'h1 { color: red }');
  writeFileSync(join(cbdir, 'config.json'), JSON.stringify({
    version: 2,
    workers: [{
      type: 'router',
      options: { pythonpath: ['../app'] },
      realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] }] }],
      transports: [{ type: 'web', endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, paths }],
    }],
  }, null, 2));
  return { home, cbdir };
}

describe('resource and static package paths of a Crossbar config, run by junction start --cbdir', { skip: skipWithoutDebian('python3-twisted'), timeout: 120_000 }, () => {
  it('serves the resource class made with its extra, and the package\'s files', async () => {
    const port = await freePort();
    const { home, cbdir } = crossbarNode({
      '/': { type: 'static', package: 'sitepkg', resource: 'web' },
      ws: { type: 'websocket' },
      api: { type: 'path', paths: { seen: { type: 'resource', classname: 'pages.Seen', extra: { title: 'Hello', limits: [1, 2] } } } },
      bare: { type: 'resource', classname: 'pages.Seen' },
    }, port);
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    await junction.started((line) => line.msg === 'listening' && line.service === 'websocket');
    const base = `http://127.0.0.1:${port}`;

    const seen = await fetch(`${base}/api/seen/a/b?x=1`);
    assert.equal(seen.status, 200);
    assert.deepEqual(await seen.json(), { extra: { title: 'Hello', limits: [1, 2] }, path: '/api/seen/a/b', args: { x: ['1'] }, client: '127.0.0.1', secure: false });
    assert.equal(await (await fetch(`${base}/api/seen`, { method: 'POST', body: 'hello' })).text(), 'posted: hello');
    assert.deepEqual((await (await fetch(`${base}/bare`)).json() as { extra: unknown }).extra, {}, 'no extra: {} as in Crossbar');

    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), '<h1>from the package</h1>');
    const css = await fetch(`${base}/css/site.css`);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal(await css.text(), 'h1 { color: red }');
    assert.equal((await fetch(`${base}/ws`)).status, 426, 'the WebSocket path is still the router\'s');
    const found = junction.lines.find((line) => line.msg === 'static folder of a Python package found');
    assert.equal(found?.directory, join(home, 'app', 'sitepkg', 'web'));

    const hosts = junction.lines.filter((line) => line.msg === 'guest worker started' && String(line.guest).startsWith('resource:'));
    assert.deepEqual(hosts.map((line) => line.guest).sort(), ['resource:transport0:/api/seen', 'resource:transport0:/bare']);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
    for (const line of hosts) await waitFor(() => processGone(Number(line.pid)), `the Python web host ${String(line.guest)} stopped with the node`);
  });

  it('a class its module lacks: the path answers 502 with the reason, the rest is served', async () => {
    const port = await freePort();
    const { home, cbdir } = crossbarNode({ r: { type: 'resource', classname: 'pages.Missing' }, '/': { type: 'static', package: 'sitepkg', resource: 'web' } }, port);
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    await junction.started((line) => line.msg === 'listening' && line.service === 'resource');
    const failure = await junction.waitForLine((line) => line.stream === 'stderr' && String(line.msg).includes('Missing'), 30_000);
    assert.equal(failure.msg, 'resource class "Missing" not in module "pages"');
    await junction.waitForLine((line) => line.msg.startsWith('guest worker exited with an error'), 30_000);
    const answer = await fetch(`http://127.0.0.1:${port}/r`);
    assert.equal(answer.status, 502);
    assert.deepEqual(await answer.json(), { error: 'upstream_unreachable', message: 'the resource class has exited (its output is in the log); a reload starts it again' });
    assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });

  it('a package that cannot be imported: the start is refused, naming the path, the package and Python\'s error', async () => {
    const port = await freePort();
    const { home, cbdir } = crossbarNode({ '/': { type: 'static', package: 'nosuchpkg', resource: 'web' } }, port);
    const result = await runJunction(['start', '--cbdir', cbdir], 60_000, home);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr,
      /transport "transport0" path "\/": the static folder "web" of Python package "nosuchpkg" cannot be used: \S*python3?\S*: import failed: ModuleNotFoundError: No module named 'nosuchpkg'/);
  });
});
