import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { parseConfig } from '../../src/config/index.js';
import { openAutobahn } from '../support/autobahn.js';
import { crossbarAnonymousEverything, startTestNode } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';
import { selfSignedCertificate, skipTls } from '../support/tls.js';

/** Several websocket transports from one Crossbar-format config: plain, TLS, origin-restricted, compressed. */

const dir = mkdtempSync(join(tmpdir(), 'junction-tls-'));
const tls = selfSignedCertificate(dir);

const config = parseConfig({
  version: 2,
  workers: [{
    type: 'router',
    realms: [{ name: 'realm1', roles: [crossbarAnonymousEverything] }, { name: 'realm2', roles: [crossbarAnonymousEverything] }],
    transports: [
      { type: 'websocket', id: 'plain', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' } },
      ...(tls ? [{
        type: 'websocket', id: 'secure',
        endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1', tls },
      }] : []),
      {
        type: 'websocket', id: 'browsers',
        endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
        options: { allowed_origins: ['https://app.example.com', 'https://*.example.org'], compression: true },
      },
    ],
  }],
}, { source: 'transports.test' });

const node = await startTestNode(config);
const url = (id: string): string => `${id === 'secure' ? 'wss' : 'ws'}://127.0.0.1:${node.ports.get(id)}/`;

after(async () => {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

function handshake(target: string, headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(target, ['wamp.2.json'], { headers, perMessageDeflate: true });
    ws.on('open', () => resolve({ status: 101, ws }));
    ws.on('unexpected-response', (_request, response) => resolve({ status: response.statusCode ?? 0 }));
    ws.on('error', () => {});
  });
}

describe('transports from a Crossbar-format config', () => {
  it('serves several realms on a plain websocket transport', async () => {
    const one = await openAutobahn(url('plain'), 'json');
    const two = await openAutobahn(url('plain'), 'json', { realm: 'realm2' });
    assert.equal(one.session.realm, 'realm1');
    assert.equal(two.session.realm, 'realm2');
    await one.close();
    await two.close();
  });

  it('serves WAMP over wss with the configured certificate', { skip: skipTls }, async () => {
    const client = await RawClient.open(url('secure'), ['wamp.2.json'], { ca: readFileSync(tls!.certificate) });
    const welcome = await client.hello();
    assert.equal(welcome[0], 2);
    client.close();
  });

  describe('allowed_origins', () => {
    let accepted: WebSocket | undefined;
    before(() => undefined);
    after(() => accepted?.terminate());

    it('refuses a browser origin that is not listed with 403', async () => {
      const { status } = await handshake(url('browsers'), { Origin: 'https://evil.example.net' });
      assert.equal(status, 403);
    });

    it('accepts listed origins (exact and with a star), and clients that send no Origin', async () => {
      for (const origin of ['https://app.example.com', 'https://shop.example.org']) {
        const result = await handshake(url('browsers'), { Origin: origin });
        assert.equal(result.status, 101, origin);
        result.ws!.terminate();
      }
      const noOrigin = await handshake(url('browsers'), {});
      assert.equal(noOrigin.status, 101);
      accepted = noOrigin.ws;
    });

    it('negotiates permessage-deflate where compression is on, and not elsewhere', async () => {
      const compressed = await handshake(url('browsers'), {});
      assert.match(compressed.ws!.extensions, /permessage-deflate/);
      compressed.ws!.terminate();
      const plain = await handshake(url('plain'), {});
      assert.equal(plain.ws!.extensions, '');
      plain.ws!.terminate();
    });
  });
});
