import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../router/log.js';
import { controlSocketPath, requestReload, serveControlSocket, type ControlSocket } from './control-socket.js';
import type { ReloadOutcome } from './reloader.js';

let dir: string;
let socket: ControlSocket;
let socketPath: string;
let next: ReloadOutcome = { ok: true, applied: [], notApplied: [], warnings: [] };
let asked = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'junction-control-'));
  socketPath = controlSocketPath(join(dir, 'junction.pid'));
  socket = await serveControlSocket(socketPath, async () => {
    asked++;
    return next;
  }, silentLogger);
});

after(async () => {
  await socket.close();
  await rm(dir, { recursive: true, force: true });
});

/** Sends raw bytes to the control socket and returns what it answers. */
function exchange(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect(socketPath);
    let answer = '';
    client.on('connect', () => client.write(bytes));
    client.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    client.on('end', () => resolve(answer));
    client.on('error', reject);
  });
}

describe('control socket', () => {
  it('sits beside the pid file and only its owner may use it', async () => {
    assert.equal(controlSocketPath('/run/junction/junction.pid'), '/run/junction/junction.sock');
    assert.equal(controlSocketPath('/run/junction/pid'), '/run/junction/pid.sock');
    assert.equal((await stat(socketPath)).mode & 0o777, 0o600);
  });

  it('answers a reload request with the outcome', async () => {
    next = { ok: true, applied: ['realm "a" added'], notApplied: [], warnings: [] };
    assert.deepEqual(await requestReload(socketPath), next);
  });

  it('refuses a request that is not one JSON line naming "reload", without reloading', async () => {
    const before = asked;
    assert.match(await exchange('{"command":"stop"}\n'), /unknown command \\"stop\\"/);
    assert.match(await exchange('nonsense\n'), /not a JSON line/);
    assert.match(await exchange('x'.repeat(2_000)), /at most 1024 bytes/);
    assert.equal(asked, before);
  });
});
