/**
 * Clients that reset their connection after the router refused it without HTTP's help: a WebSocket
 * upgrade to a path that serves none (404, as crossbar-examples' rlinks client does with a URL
 * lacking "/ws": Autobahn aborts with a reset), and a CONNECT (405). Node gives these sockets no
 * error listener of its own; the reset must end that connection only, never the node.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, RunningJunction } from '../support/cli.js';

const upgradeTo = (path: string, port: number) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
  + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n';

/** Sends `request`, reads the status line of the answer, then resets the connection (RST, as an abort does). */
function askThenReset(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.once('data', (chunk: Buffer) => {
      resolve(chunk.toString('latin1').split('\r\n')[0]!);
      socket.resetAndDestroy();
    });
    socket.once('error', reject);
    socket.setTimeout(10_000, () => reject(new Error('no answer within 10 s')));
  });
}

describe('a client that resets after a refused upgrade or CONNECT', { timeout: 120_000 }, () => {
  let dir: string;
  let port: number;
  let junction: RunningJunction;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-reset-'));
    port = await freePort();
    const config = {
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'realm1', roles: [{ name: 'anonymous', 'allow-by-default': true }] }],
        transports: [{ type: 'web', endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, paths: { '/': { type: 'static', directory: '.' }, ws: { type: 'websocket' } } }],
      }],
    };
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    junction = RunningJunction.start(['--cbdir', dir], dir);
    await junction.url();
  });

  after(async () => {
    junction.kill();
    await junction.waitForExit();
    await rm(dir, { recursive: true, force: true });
  });

  it('ends that connection only: the node keeps serving', async () => {
    assert.equal(await askThenReset(port, upgradeTo('/', port)), 'HTTP/1.1 404 Not Found');
    assert.equal(await askThenReset(port, upgradeTo('/nowhere', port)), 'HTTP/1.1 404 Not Found');
    assert.equal(await askThenReset(port, `CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n`), 'HTTP/1.1 405 Method Not Allowed');
    // The resets reach the node after the answers: give them time to arrive before asking again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(junction.child.exitCode, null, `the node exited: ${junction.stderr}`);
    assert.equal(await askThenReset(port, upgradeTo('/ws', port)), 'HTTP/1.1 101 Switching Protocols');
  });
});
