/**
 * Per-address WebSocket cap: one client address (trusted proxies considered) may hold at most
 * max_per_address connections on a path; the next upgrade is refused with 429 before any session
 * exists, counted and warned; other addresses are not affected, and a closed connection gives
 * its place back. Also the ws library's fragment cap: closed with 1008 and counted.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { RunningNode } from '../../src/node/node.js';
import { startTestNode, testConfig, webSocketPath } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';
import { waitFor } from '../support/wait.js';

const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

/** The status and body of an upgrade the router refused. */
function refusedUpgrade(url: string, address: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['wamp.2.json'], from(address));
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('error', () => {}); // ws reports the refusal as an error after 'unexpected-response'
    ws.once('unexpected-response', (_request, response: IncomingMessage) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
  });
}

describe('per-address WebSocket cap', { timeout: 30_000 }, () => {
  let node: RunningNode;
  let url: string;

  const metric = (labels: string): number => {
    const line = node.metrics.exposition().split('\n').find((text) => text.startsWith(`junction_ws_refused_handshakes_total{${labels}} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };

  before(async () => {
    const config = testConfig();
    // 127.0.0.1 is a trusted proxy: X-Forwarded-For names the client, so one test machine can be several addresses.
    config.listeners[0]!.trustedProxies = ['127.0.0.1'];
    webSocketPath(config).options.maxPerAddress = 2;
    node = await startTestNode(config);
    url = node.urls[0]!;
  });

  after(async () => {
    await node?.stop();
  });

  it('refuses a third connection from one address with 429 and attaches nothing; others may connect; a close frees a place', async () => {
    const first = await RawClient.open(url, ['wamp.2.json'], from('198.51.100.7'));
    const second = await RawClient.open(url, ['wamp.2.json'], from('198.51.100.7'));
    await first.hello();
    await second.hello();
    const sessions = node.router.sessionCount;

    const refused = await refusedUpgrade(url, '198.51.100.7');
    assert.equal(refused.status, 429);
    assert.match(refused.body, /already holds 2 WebSocket connections.*max_per_address/);
    assert.equal(node.router.sessionCount, sessions, 'a refused upgrade attaches no session');
    assert.equal(metric('reason="too_many_from_address"'), 1);

    const elsewhere = await RawClient.open(url, ['wamp.2.json'], from('198.51.100.8'));
    assert.equal((await elsewhere.hello())[0], 2, 'another address is not affected');
    first.close();
    // The place is given back when the socket closes.
    await waitFor(() => node.router.sessionCount === sessions, 'the closed connection to leave');
    const again = await RawClient.open(url, ['wamp.2.json'], from('198.51.100.7'));
    assert.equal((await again.hello())[0], 2, 'WELCOME after a place was freed');
    for (const client of [second, elsewhere, again]) client.close();
  });
});

describe('the ws fragment cap', { timeout: 30_000 }, () => {
  let node: RunningNode;

  before(async () => {
    node = await startTestNode(testConfig());
  });

  after(async () => {
    await node?.stop();
  });

  it('closes a connection whose message comes in more than 16384 fragments with 1008, and counts it', async () => {
    const client = await RawClient.open(node.urls[0]!);
    for (let fragment = 0; fragment <= 16_384; fragment++) client.ws.send('x', { fin: false });
    client.ws.send('x', { fin: true });
    await client.closed;
    assert.equal(client.closeCode, 1008);
    const line = node.metrics.exposition().split('\n').find((text) => text.startsWith('junction_ws_fragment_limit_closed_total '));
    assert.equal(line, 'junction_ws_fragment_limit_closed_total 1');
  });
});
