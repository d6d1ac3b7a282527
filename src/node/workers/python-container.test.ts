import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { GuestConfig } from '../../config/model.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { Logger } from '../../router/log.js';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { GuestWorkers } from './guest-workers.js';
import { guestLog } from './guest-texts.js';
import { containerLauncher, pythonLaunch } from './python-container.js';

const home = mkdtempSync(join(tmpdir(), 'junction-python-container-'));
after(() => rmSync(home, { recursive: true, force: true }));

const component = { id: 'component0', type: 'class' as const, classname: 'backend.Backend', realm: 'realm1', extra: {}, transport: { type: 'websocket', url: 'ws://127.0.0.1:1/' } };

function container(executable: string, interpreterGiven: boolean): GuestConfig {
  return {
    id: 'worker002', at: 'workers[1]', executable, arguments: [], workdir: home, env: { inherit: true, vars: {} },
    stdin: { kind: 'open' }, stdout: 'log', stderr: 'log', maxLineBytes: 1000, linesPerSecond: 100,
    python: { interpreterGiven, pythonpath: [home], components: [component] },
  };
}

/** A "python" that has no Autobahn: it fails the import as Python would. */
const withoutAutobahn = join(home, 'python-without-autobahn');
writeFileSync(withoutAutobahn, '#!/bin/sh\necho "Traceback (most recent call last):" >&2\necho "ModuleNotFoundError: No module named \'autobahn\'" >&2\nexit 1\n');
chmodSync(withoutAutobahn, 0o755);

describe('a container worker\'s Python', () => {
  it('is options.python when given, and says so when it is not there', async () => {
    assert.deepEqual(await pythonLaunch(container('/nowhere/python3.11', true), container('/nowhere/python3.11', true).python!), {
      ok: false, reason: `workers[1].options.python: "/nowhere/python3.11" is not found or not executable (against ${home}, then on the PATH)`,
    });
  });

  it('must import Autobahn|Python: a Python without it is named, with how to get it', async () => {
    const guest = container(withoutAutobahn, true);
    assert.deepEqual(await pythonLaunch(guest, guest.python!), {
      ok: false,
      reason: `${withoutAutobahn} cannot import Autobahn|Python (ModuleNotFoundError: No module named 'autobahn'); install it for that Python (Debian: apt install python3-autobahn) or set the container's options.python`,
    });
  });

  it("names the router worker's options.python for a router worker's components", async () => {
    const guest = container(withoutAutobahn, true);
    const launch = await pythonLaunch(guest, { ...guest.python!, router: true });
    assert.ok(!launch.ok && launch.reason.endsWith("or set the router worker's options.python"), JSON.stringify(launch));
  });

  it('is Debian\'s /usr/bin/python3 by default, which runs the launcher with the components on stdin', { skip: skipWithoutDebian('python3-autobahn') }, async () => {
    const guest = container('/usr/bin/python3', false);
    assert.deepEqual(await pythonLaunch(guest, guest.python!), {
      ok: true, executable: '/usr/bin/python3', arguments: [containerLauncher], stdinText: JSON.stringify({ pythonpath: [home], components: [component] }),
    });
    assert.ok(existsSync(containerLauncher), `the launcher ships at ${containerLauncher}`);
  });

  it('missing, leaves the node running without the components and warns why', async () => {
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const log: Logger = { debug() {}, info() {}, error() {}, warn: (fields, message) => warnings.push({ fields: fields as Record<string, unknown>, message }), child: () => log };
    const guests = new GuestWorkers({ log, metrics: new MetricsRegistry() });
    assert.deepEqual(await guests.apply([container(withoutAutobahn, true)]), []);
    assert.deepEqual(warnings.map((warning) => [warning.message, warning.fields.components]), [[guestLog.pythonUnavailable, ['backend.Backend']]]);
    assert.match(String(warnings[0]!.fields.reason), /cannot import Autobahn\|Python/);
    await guests.stop();
  });
});
