import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { WsgiService } from '../../config/model.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { wsgiLauncher, WsgiHost, wsgiLog } from './wsgi-host.js';

const home = mkdtempSync(join(tmpdir(), 'junction-wsgi-host-'));
after(() => rmSync(home, { recursive: true, force: true }));

/** A "python" without Twisted: it fails the import as Python would. */
const withoutTwisted = join(home, 'python-without-twisted');
writeFileSync(withoutTwisted, '#!/bin/sh\necho "ModuleNotFoundError: No module named \'twisted\'" >&2\nexit 1\n');
chmodSync(withoutTwisted, 0o755);

function service(executable: string, interpreterGiven: boolean): WsgiService {
  return {
    type: 'wsgi', module: 'hello', object: 'app', minThreads: 0, maxThreads: 2,
    python: { at: 'workers[0]', executable, interpreterGiven, pythonpath: [home], env: { inherit: true, vars: {} }, workdir: home },
    options: { timeoutMs: 1000, maxRequestsInFlight: 2 },
  };
}

function recordingLog(): { log: Logger; warnings: { fields: Record<string, unknown>; message: string }[] } {
  const warnings: { fields: Record<string, unknown>; message: string }[] = [];
  const log: Logger = { debug() {}, info() {}, error() {}, warn: (fields, message) => warnings.push({ fields: fields as Record<string, unknown>, message }), child: () => log };
  return { log, warnings };
}

describe('the WSGI host of a wsgi path', () => {
  it('a Python that is not there: not started, a warning says which key to change, requests learn why', async () => {
    const { log, warnings } = recordingLog();
    const host = await WsgiHost.start(service('/nowhere/python3', true), { id: 'wsgi:web:/app', mount: '/app', log, metrics: new MetricsRegistry() });
    const reason = `workers[0].options.python: "/nowhere/python3" is not found or not executable (against ${home}, then on the PATH)`;
    assert.deepEqual(warnings, [{ fields: { reason }, message: wsgiLog.unavailable }]);
    assert.equal(host.unreachable(), `the WSGI app is not run: ${reason}`);
    assert.ok(host.stopped(), 'a reload tries again');
    await host.close();
  });

  it('a Python without Twisted: named, with the Debian package to install', async () => {
    const { log, warnings } = recordingLog();
    const host = await WsgiHost.start(service(withoutTwisted, true), { id: 'wsgi:web:/app', mount: '/app', log, metrics: new MetricsRegistry() });
    assert.equal(warnings[0]?.fields.reason,
      `${withoutTwisted} cannot import Twisted (ModuleNotFoundError: No module named 'twisted'); install it for that Python (Debian: apt install python3-twisted) or set the router worker's options.python`);
    await host.close();
  });

  it('runs the app until closed, counted as a guest, and leaves no socket folder behind', { skip: skipWithoutDebian('python3-twisted') }, async () => {
    writeFileSync(join(home, 'hello.py'), 'def app(environ, start_response):\n    start_response("200 OK", [])\n    return [b"hi"]\n');
    const { log, warnings } = recordingLog();
    const metrics = new MetricsRegistry();
    const host = await WsgiHost.start(service('/usr/bin/python3', false), { id: 'wsgi:web:/app', mount: '/app', log, metrics });
    assert.deepEqual(warnings, []);
    assert.ok(existsSync(host.socketPath), 'listening once started');
    assert.ok(!host.stopped());
    assert.equal(metrics.gauge('junction_guest_running', '').value({ guest: 'wsgi:web:/app' }), 1);
    assert.ok(existsSync(wsgiLauncher));
    await host.close();
    assert.equal(metrics.counter('junction_guest_exits_total', '').value({ guest: 'wsgi:web:/app', outcome: 'stopped' }), 1);
    assert.ok(!existsSync(host.socketPath));
  });
});
