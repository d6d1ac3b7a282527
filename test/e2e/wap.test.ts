import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import autobahn from 'autobahn';
import { fetch } from 'undici';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';

/**
 * A Crossbar-format config with a `wap` path (WAMP Application Page), not edited for Junction, run
 * by the real CLI: each route calls a procedure registered by an AutobahnJS callee, as the
 * service's role, and the result is rendered with a Jinja2 template (autoescaped), or answered as
 * JSON; then the failures (a WAMP error, a call over its timeout, a page over its size).
 */

const folders: string[] = [];
const running: RunningJunction[] = [];
const sessions: OpenSession[] = [];
after(async () => {
  await Promise.all(sessions.map((session) => session.close()));
  running.forEach((junction) => junction.kill());
  folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
});

const templates: Record<string, string> = {
  'home.html': '<h1>{{ title | default("home") }}</h1>',
  'greeting.html': '<p>Hello, {{ name }}! ({{ lang }})</p>',
  'report.html': '{% for key, value in report.items() %}{{ key }}={{ value }};{% endfor %}',
  'order.html': 'ordered {{ size }} bytes of {{ type }}',
  'big.html': '{% for i in range(count) %}0123456789{% endfor %}',
  'escape.html': '{{ "".__class__ }}',
};

describe('a wap path of a Crossbar config, run by junction start --cbdir', { skip: skipWithoutDebian('python3-jinja2') || skipWithoutDebian('python3-twisted'), timeout: 120_000 }, () => {
  it('renders each route\'s call result with its template, as the service\'s role; bounds and failures answer as documented', async () => {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'junction-wap-e2e-'));
    folders.push(home);
    const cbdir = join(home, '.crossbar');
    mkdirSync(cbdir);
    mkdirSync(join(home, 'templates'));
    for (const [name, text] of Object.entries(templates)) writeFileSync(join(home, 'templates', name), text);
    const allowAll = { call: true, register: true, publish: true, subscribe: true };
    writeFileSync(join(cbdir, 'config.json'), JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [
          { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: allowAll }] },
          { name: 'web', permissions: [{ uri: 'com.example.', match: 'prefix', allow: { call: true }, disclose: { caller: true } }] },
        ] }],
        transports: [{
          type: 'web',
          endpoint: { type: 'tcp', port, interface: '127.0.0.1' },
          paths: {
            ws: { type: 'websocket' },
            metrics: { type: 'metrics' },
            site: {
              type: 'wap',
              templates: '../templates',
              sandbox: true,
              wamp: { realm: 'realm1', authrole: 'web' },
              options: { call_timeout: 1500, max_output_bytes: 2000 },
              routes: [
                { path: '/', method: 'GET', call: null, render: 'home.html' },
                { path: '/greeting/<name>', method: 'GET', call: 'com.example.greeting', render: 'greeting.html' },
                { path: '/report/<int:year>', method: 'GET', call: 'com.example.report', render: 'report.html' },
                { path: '/order', method: 'POST', call: 'com.example.order', render: 'order.html' },
                { path: '/big/<int:count>', method: 'GET', call: 'com.example.echo', render: 'big.html' },
                { path: '/fail', method: 'GET', call: 'com.example.fail', render: 'home.html' },
                { path: '/slow', method: 'GET', call: 'com.example.slow', render: 'home.html' },
                { path: '/escape', method: 'GET', call: null, render: 'escape.html' },
              ],
            },
          },
        }],
      }],
    }, null, 2));
    const junction = RunningJunction.start(['--cbdir', cbdir], home);
    running.push(junction);
    const callee = await openAutobahn(await junction.url(), 'msgpack');
    sessions.push(callee);
    const callers: string[] = [];
    const register = (procedure: string, endpoint: (kwargs: Record<string, unknown>) => unknown) =>
      callee.session.register(procedure, (_args: unknown[], kwargs: Record<string, unknown>, details: { caller_authrole?: string }) => {
        callers.push(String(details.caller_authrole));
        return endpoint(kwargs);
      }, { disclose_caller: true });
    await register('com.example.greeting', (kwargs) => ({ name: kwargs.name, lang: kwargs.lang }));
    await register('com.example.report', (kwargs) => ({ report: { year: kwargs.year, total: 42 } }));
    await register('com.example.order', (kwargs) => ({ size: (kwargs.data as Uint8Array).length, type: kwargs.data_type }));
    await register('com.example.echo', (kwargs) => kwargs);
    await register('com.example.fail', () => { throw new autobahn.Error('com.example.error.out_of_stock', ['none left']); });
    await register('com.example.slow', () => new Promise(() => undefined));
    const base = `http://127.0.0.1:${port}/site`;

    assert.equal(await (await fetch(base)).text(), '<h1>home</h1>', 'call null: the template alone');
    const greeting = await fetch(`${base}/greeting/%3Cb%3EJo?lang=en&lang=de`);
    assert.equal(greeting.status, 200);
    assert.equal(greeting.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await greeting.text(), '<p>Hello, &lt;b&gt;Jo! (en)</p>', 'autoescaped; the first query value');
    assert.equal(await (await fetch(`${base}/report/2016`)).text(), 'year=2016;total=42;');
    const json = await fetch(`${base}/report/2016`, { headers: { accept: 'application/json' } });
    assert.deepEqual(await json.json(), { report: { year: 2016, total: 42 } });
    const order = await fetch(`${base}/order`, { method: 'POST', body: 'abc', headers: { 'content-type': 'text/plain' } });
    assert.equal(await order.text(), 'ordered 3 bytes of text/plain');
    assert.ok(callers.length > 0 && callers.every((role) => role === 'web'), `called as the service's role: ${callers.join(', ')}`);

    const failed = await fetch(`${base}/fail`);
    assert.equal(failed.status, 500);
    assert.match(await failed.text(), /<pre>com\.example\.error\.out_of_stock<\/pre>/);
    const slow = await fetch(`${base}/slow`, { headers: { accept: 'application/json' } });
    assert.equal(slow.status, 504);
    assert.match(((await slow.json()) as { error: string }).error, /"com\.example\.slow" did not answer within 1500 ms \(options\.call_timeout\)$/);
    const big = await fetch(`${base}/big/500`);
    assert.equal(big.status, 500);
    assert.match(await big.text(), /the rendered page is over 2000 bytes \(options\.max_output_bytes\)/);
    assert.equal((await fetch(`${base}/big/100`)).status, 200);
    // Unsandboxed, Jinja2 would print <class 'str'>.
    assert.equal(await (await fetch(`${base}/escape`)).text(), '', 'sandboxed: no way to Python\'s internals');
    assert.equal((await fetch(`${base}/nothing`)).status, 404);
    const wrongMethod = await fetch(`${base}/order`);
    assert.deepEqual([wrongMethod.status, wrongMethod.headers.get('allow')], [405, 'POST']);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const [outcome, times] of [['rendered', 6], ['json', 1], ['call_error', 1], ['call_timeout', 1], ['render_failed', 1], ['not_found', 1], ['method_not_allowed', 1]] as const) {
      assert.match(metrics, new RegExp(`^junction_wap_requests_total\\{outcome="${outcome}",path="/site",transport="transport0"\\} ${times}$`, 'm'), outcome);
    }
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });

  it('templates shipped in a Python package; a template that is not there: that path answers 502 saying why', async () => {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), 'junction-wap-e2e-'));
    folders.push(home);
    mkdirSync(join(home, 'lib', 'webpkg', 'tpl'), { recursive: true });
    writeFileSync(join(home, 'lib', 'webpkg', '__init__.py'), '');
    writeFileSync(join(home, 'lib', 'webpkg', 'tpl', 'home.html'), '<p>{{ who }} from the package</p>');
    const wamp = { realm: 'realm1', authrole: 'anonymous' };
    writeFileSync(join(home, 'config.json'), JSON.stringify({
      version: 2,
      workers: [{
        type: 'router',
        options: { pythonpath: ['lib'] },
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true } }] }] }],
        transports: [{
          type: 'web',
          endpoint: { type: 'tcp', port, interface: '127.0.0.1' },
          paths: {
            ws: { type: 'websocket' },
            good: { type: 'wap', templates: { package: 'webpkg', resource: 'tpl' }, wamp, routes: [{ path: '/', call: 'com.example.who', render: 'home.html' }] },
            bad: { type: 'wap', templates: { package: 'webpkg', resource: 'tpl' }, wamp, routes: [{ path: '/', call: null, render: 'gone.html' }] },
          },
        }],
      }],
    }));
    const junction = RunningJunction.start(['--config', join(home, 'config.json')], home);
    running.push(junction);
    const callee = await openAutobahn(await junction.url());
    sessions.push(callee);
    await callee.session.register('com.example.who', () => ({ who: 'Ann' }));
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/good`)).text(), '<p>Ann from the package</p>');
    const failure = await junction.waitForLine((line) => line.stream === 'stderr' && String(line.msg).includes('gone.html'), 30_000);
    assert.match(String(failure.msg), /^template "gone\.html" in \S+\/webpkg\/tpl cannot be loaded: TemplateNotFound: gone\.html$/);
    await junction.waitForLine((line) => line.msg.startsWith('guest worker exited with an error') && line.guest === 'wap:transport0:/bad', 30_000);
    const bad = await fetch(`http://127.0.0.1:${port}/bad`);
    assert.equal(bad.status, 502);
    assert.match(await bad.text(), /<pre>the template renderer has exited \(its output is in the log\); a reload starts it again \(/);
    junction.child.kill('SIGTERM');
    assert.equal(await junction.waitForExit(), 0);
  });
});
