/**
 * Crossbar's websocket-reverseproxy end to end through real processes: one `junction start` is a
 * WAMP router (the backend), another serves a Crossbar-format config whose web transport proxies
 * /proxy1 to it, written as Crossbar's documentation writes it. AutobahnJS clients through the
 * proxy and straight at the backend meet in one realm: events and calls cross, both serializers
 * pass through, the backend learns the client's address from the proxy it trusts, and a stopped
 * backend gives the proxy's clients a clear refusal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const anonymousEverything = { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }] };

function routerConfig(port: number, paths: Record<string, unknown>, options?: Record<string, unknown>): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: [anonymousEverything] }],
      transports: [{ type: 'web', endpoint: { type: 'tcp', port, interface: '127.0.0.1' }, paths, ...(options && { options }) }],
    }],
  };
}

describe('websocket-reverseproxy: AutobahnJS through a proxying Junction to a Junction router', { timeout: 180_000 }, () => {
  let dir: string;
  let backend: RunningJunction;
  let proxy: RunningJunction;
  let backendPort: number;
  let proxyPort: number;
  const sessions: OpenSession[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'junction-wsproxy-'));
    backendPort = await freePort();
    proxyPort = await freePort();
    // The backend believes the proxy's X-Forwarded-For: its sessions carry the client's address.
    writeFileSync(join(dir, 'backend.json'), JSON.stringify(routerConfig(backendPort, { ws: { type: 'websocket' } }, { trusted_proxies: ['127.0.0.1'] })));
    writeFileSync(join(dir, 'proxy.json'), JSON.stringify(routerConfig(proxyPort, {
      proxy1: {
        type: 'websocket-reverseproxy',
        backend: { type: 'websocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: backendPort }, url: `ws://localhost:${backendPort}/ws` },
      },
    })));
    backend = RunningJunction.start(['--config', join(dir, 'backend.json')]);
    proxy = RunningJunction.start(['--config', join(dir, 'proxy.json')]);
    await backend.url();
    await proxy.started((line) => line.msg === 'listening' && line.service === 'websocket-reverseproxy');
  });

  after(async () => {
    await Promise.all(sessions.map((open) => open.close().catch(() => {})));
    proxy?.kill();
    backend?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('events and calls cross between a proxied client and a direct one, in JSON and MessagePack', async () => {
    const direct = await openAutobahn(`ws://127.0.0.1:${backendPort}/ws`);
    sessions.push(direct);
    await direct.session.register('com.example.add', (args: number[]) => args[0]! + args[1]!);
    for (const serializer of ['json', 'msgpack'] as const) {
      const proxied = await openAutobahn(`ws://127.0.0.1:${proxyPort}/proxy1`, serializer);
      sessions.push(proxied);
      assert.equal(await proxied.session.call('com.example.add', [2, 3]), 5);
      const received: unknown[] = [];
      await proxied.session.subscribe('com.example.news', (args: unknown[]) => void received.push(args[0]));
      await direct.session.publish('com.example.news', [`for ${serializer}`], {}, { acknowledge: true });
      await waitFor(() => received.length === 1, `the event through the proxy (${serializer})`);
      assert.deepEqual(received, [`for ${serializer}`]);
    }
    const listed: number[] = await direct.session.call('wamp.session.list');
    const details = await Promise.all(listed.map((id) => direct.session.call('wamp.session.get', [id])));
    const peers = details.map((session: { transport?: { peer?: string } }) => session.transport?.peer);
    assert.ok(peers.filter((peer) => peer?.startsWith('tcp4:127.0.0.1:0')).length >= 2, `proxied sessions carry the forwarded address: ${JSON.stringify(peers)}`);
  });

  it("the backend router's closes reach the client; a stopped backend gets the proxy's clients 502", async () => {
    const proxied = await openAutobahn(`ws://127.0.0.1:${proxyPort}/proxy1`);
    backend.kill();
    // The proxy closes the client (1014) when the backend's connection drops: AutobahnJS sees its connection end.
    await Promise.race([proxied.closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the proxied connection stayed open')), 20_000).unref())]);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${proxyPort}/proxy1`, ['wamp.2.json']);
      ws.once('open', () => reject(new Error('accepted without a backend')));
      ws.once('unexpected-response', (_request, response) => resolve(response.statusCode!));
      ws.on('error', () => {});
    });
    assert.equal(status, 502);
    await waitFor(() => proxy.lines.some((line) => line.msg.startsWith('WebSocket reverse proxy: a client was refused')), 'the warning');
  });
});
