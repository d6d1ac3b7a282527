import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { APP, connected, once, pusherClient, removeDir, startPusherNode, type PusherClient, type PusherNode } from './support.js';

const php = debianNeed('php-cli').file;
const script = fileURLToPath(new URL('../../../test/fixtures/pusher/broadcast.php', import.meta.url));
const run = promisify(execFile);

async function broadcast(port: number, secret: string, channel: string, event: string, data: unknown, socketId?: string): Promise<{ status: number; body: string }> {
  const args = [script, '127.0.0.1', String(port), APP.id, APP.key, secret, channel, event, JSON.stringify(data), ...(socketId === undefined ? [] : [socketId])];
  const { stdout } = await run(php, args, { timeout: 10_000 });
  return JSON.parse(stdout);
}

/** A PHP script signs an HTTP API request as Laravel's Pusher broadcaster does (Debian's php-cli). */
describe('an HTTP API request signed by PHP, as Laravel signs it', { skip: skipWithoutDebian('php-cli') }, () => {
  let server: PusherNode;
  let client: PusherClient;

  before(async () => {
    server = await startPusherNode();
    client = pusherClient(server.port);
    await connected(client);
  });
  after(async () => {
    client.disconnect();
    await server.stop();
    removeDir(server.dataDir);
  });

  it('is accepted and reaches pusher-js; a wrong secret gets 401', async () => {
    const channel = client.subscribe('orders');
    await once(channel, 'pusher:subscription_succeeded');
    const received = once(channel, 'App\\Events\\OrderShipped');
    const answer = await broadcast(server.port, APP.secret, 'orders', 'App\\Events\\OrderShipped', { order: { id: 42 } });
    assert.deepEqual(answer, { status: 200, body: '{}' });
    assert.deepEqual(await received, { order: { id: 42 } });

    const refused = await broadcast(server.port, 'not-the-secret', 'orders', 'x', {});
    assert.equal(refused.status, 401);
    assert.match(refused.body, /auth_signature does not match/);
  });
});
