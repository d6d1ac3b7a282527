import { after, describe, it } from 'node:test';
import { loadDocument } from '../../src/config/test-support.js';
import { startNode } from '../../src/node/node.js';
import { MessageType as T } from '../../src/protocol/codes.js';
import { silentLogger } from '../../src/router/log.js';
import { metric } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';
import { hello, leakDocument, loopback, rawSocketPeer, webSocketPeer } from '../support/leak-peers.js';

/**
 * A RawSocket client that ends its side of the connection (TCP FIN) is gone: its session leaves at
 * once, even while it reads nothing more and more of the router's bytes wait for it than the
 * kernel's buffers hold (before, the session stayed until those were read: never).
 */

const MiB = 1024 * 1024;
const node = await startNode(loadDocument(leakDocument([
  { type: 'web', id: 'web', endpoint: loopback, paths: { ws: { type: 'websocket' } } },
  // Room to queue what the client does not read without dropping it as a slow consumer.
  { type: 'rawsocket', id: 'raw', endpoint: loopback, serializers: ['json'], options: { max_buffered_bytes: 64 * MiB } },
])), { log: silentLogger, shutdownGraceMs: 200 });
after(() => node.stop());
const scrape = (name: string): number => metric(node.metrics.exposition(), name);

describe('a RawSocket client that ends its side of the connection', () => {
  it('leaves at its FIN, though the router\'s last bytes wait for it to read', async () => {
    const watcher = await webSocketPeer(node.urls[0]!);
    await hello(watcher);
    watcher.send([T.SUBSCRIBE, 1, {}, 'wamp.session.on_leave']);
    await watcher.next((m) => m[0] === T.SUBSCRIBED);
    const connections = scrape('junction_rawsocket_connections');
    const leaver = await rawSocketPeer(node.ports.get('raw')!);
    const sessionId = (await hello(leaver))[1];
    leaver.send([T.SUBSCRIBE, 2, {}, 'fill']);
    await leaver.next((m) => m[0] === T.SUBSCRIBED);
    leaver.pauseReading();
    const chunk = 'a'.repeat(256 * 1024);
    for (let request = 10; request < 10 + 96; request++) watcher.send([T.PUBLISH, request, {}, 'fill', [chunk]]); // 24 MiB
    watcher.send([T.PUBLISH, 200, { acknowledge: true }, 'fill', []]);
    await watcher.next((m) => m[0] === T.PUBLISHED && m[1] === 200, 30_000);
    leaver.vanish(2); // FIN
    await watcher.next((m) => m[0] === T.EVENT && (m[4] as unknown[] | undefined)?.[0] === sessionId, 5_000);
    // The connection too, a second later: what it has not read by then it never will.
    await waitFor(() => scrape('junction_rawsocket_connections') === connections, 'the connection closed', 5_000);
    leaver.vanish(0);
    watcher.vanish(0);
  });
});
