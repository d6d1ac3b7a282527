import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { captureIo } from '../../../test/support/cli.js';
import { controlSocketPath, serveControlSocket, type ControlSocket } from '../../node/reload/control-socket.js';
import type { ReloadOutcome } from '../../node/reload/reloader.js';
import { silentLogger } from '../../router/log.js';
import { run as reloadCommand } from './reload.js';

/** `junction reload` against a control socket whose answers the test chooses. */

let dir: string;
let socket: ControlSocket;
let next: ReloadOutcome = { ok: true, applied: [], notApplied: [], warnings: [] };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'junction-reload-cli-'));
  socket = await serveControlSocket(controlSocketPath(join(dir, 'junction.pid')), async () => next, silentLogger);
});

after(async () => {
  await socket.close();
  await rm(dir, { recursive: true, force: true });
});

describe('junction reload', () => {
  it('prints what was applied and exits 0', async () => {
    next = { ok: true, applied: ['realm "a" added', 'component "c" started (added)'], notApplied: [], warnings: [] };
    const { out, io } = captureIo();
    assert.equal(await reloadCommand(['--pid-file', join(dir, 'junction.pid')], io), 0);
    assert.equal(out.stdout, 'reloaded:\n  realm "a" added\n  component "c" started (added)\n');
  });

  it('prints the warnings junction check would print, and exits 0', async () => {
    next = { ok: true, applied: [], notApplied: [], warnings: ['transport "web" path "/": the static directory /srv/site does not exist; requests get 404 until it does'] };
    const { out, io } = captureIo();
    assert.equal(await reloadCommand(['--pid-file', join(dir, 'junction.pid')], io), 0);
    assert.equal(out.stdout, 'reloaded: the configuration is unchanged\n  warning: transport "web" path "/": the static directory /srv/site does not exist; requests get 404 until it does\n');
  });

  it('prints a refused file\'s problems and exits 1', async () => {
    next = { ok: false, error: 'junction: the configuration has 1 problem:\nconfig.json:3:5: workers[0].realms: expected an array\n' };
    const { out, io } = captureIo();
    assert.equal(await reloadCommand(['--pid-file', join(dir, 'junction.pid')], io), 1);
    assert.match(out.stderr, /^junction reload: refused, nothing changed:\njunction: the configuration has 1 problem:\nconfig\.json:3:5: workers\[0\]\.realms: expected an array\n$/);
  });

  it('prints what was not applied and exits 1', async () => {
    next = { ok: true, applied: [], notApplied: ['transport "web": its endpoint changed'], warnings: [] };
    const { out, io } = captureIo();
    assert.equal(await reloadCommand(['--pid-file', join(dir, 'junction.pid')], io), 1);
    assert.equal(out.stderr, 'junction reload: not applied:\n  transport "web": its endpoint changed\n');
  });

  it('says when no router listens, and refuses to run without --pid-file', async () => {
    const missing = captureIo();
    assert.equal(await reloadCommand(['--pid-file', join(dir, 'other.pid')], missing.io), 1);
    assert.match(missing.out.stderr, /no router is listening on .*other\.sock \(ENOENT\); is it running with --pid-file/);
    const bare = captureIo();
    assert.equal(await reloadCommand([], bare.io), 2);
    assert.match(bare.out.stderr, /--pid-file is required/);
  });
});
