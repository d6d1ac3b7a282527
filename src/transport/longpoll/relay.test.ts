import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, describe, it } from 'node:test';
import { MessageType } from '../../protocol/codes.js';
import { Envelope } from '../../protocol/envelope.js';
import { AskError } from '../../router/backplane-asks.js';
import { silentLogger } from '../../router/log.js';
import type { Peer } from '../../router/peer.js';
import { longPollProtocols } from './protocols.js';
import { clusterTransportId, transportNode, type LongPollCluster } from './relay.js';
import { LongPollServer } from './server.js';

/**
 * Two long-poll servers as two nodes of a cluster, each on its own HTTP port, joined by a stand-in
 * backplane that hands a relayed request straight to the other server (the real backplane is
 * covered by its conformance suite and the e2e tests).
 */

interface Node {
  server: LongPollServer;
  http: Server;
  port: number;
  peers: Map<string, Peer>;
  received: unknown[];
}

const nodes = new Map<string, Node>();
/** When set, every relay fails this way instead of reaching the other node. */
let failRelays: AskError | undefined;
after(() => Promise.all([...nodes.values()].map((node) => new Promise((resolve) => node.http.close(resolve)))));

async function node(nodeId: string): Promise<Node> {
  const cluster: LongPollCluster = {
    nodeId,
    relay: async (to, relayed) => {
      if (failRelays) throw failRelays;
      const answered = nodes.get(to)?.server.answerRelayed(structuredClone(relayed), nodeId);
      if (!answered) throw new AskError('unserved', 'no such node');
      return structuredClone(await answered);
    },
    abandon: (to, poll) => nodes.get(to)?.server.abandonRelayed(nodeId, poll),
  };
  const peers = new Map<string, Peer>();
  const received: unknown[] = [];
  const server = new LongPollServer((peer) => {
    peers.set((peer as Peer & { id: string }).id, peer);
    return { receive: (message: unknown) => void received.push(message), receiveGarbage: () => {}, detach: () => {} };
  }, {
    protocols: longPollProtocols(['json']), requestTimeoutMs: 2_000, sessionTimeoutMs: 60_000, queueLimitBytes: 100_000,
    queueLimitMessages: 100, maxMessageSize: 1_000, maxTransports: 0, maxPerAddress: 0,
    clientAddress: () => ({ address: '127.0.0.1', label: 'tcp4:127.0.0.1:1' }), path: '/lp', cluster,
  }, silentLogger);
  const http = createServer((req, res) => server.handle(req, res, req.url!.slice('/lp'.length)));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const created: Node = { server, http, port: (http.address() as { port: number }).port, peers, received };
  nodes.set(nodeId, created);
  return created;
}

function post(target: Node, path: string, body = '', abortAfterMs?: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: target.port, path: `/lp${path}`, method: 'POST', agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, body: text }));
    });
    outgoing.on('error', reject);
    if (abortAfterMs !== undefined) setTimeout(() => outgoing.destroy(), abortAfterMs);
    outgoing.end(body);
  });
}

const event = (n: number): Envelope => new Envelope({ type: MessageType.EVENT, subscription: 1, publication: n, details: {}, args: [n] });

describe('long-poll relayed between cluster nodes', () => {
  it('names its node in the transport id', () => {
    const id = clusterTransportId('host-1-w2', 'AAAA');
    assert.equal(transportNode(id), 'host-1-w2');
    assert.equal(transportNode('AAAAAAAA'), undefined, 'an id of a node alone names none');
  });

  it('runs send, receive and close on the node holding the transport, wherever they land', async () => {
    const a = await node('a');
    const b = await node('b');
    const opened = await post(a, '/open', JSON.stringify({ protocols: ['wamp.2.json'] }));
    const id = (JSON.parse(opened.body) as { transport: string }).transport;
    assert.equal(transportNode(id), 'a');
    const transport = a.peers.get(id)!;

    const sent = await post(b, `/${id}/send`, JSON.stringify([1, 'realm1', {}]));
    assert.equal(sent.status, 204);
    assert.deepEqual(a.received, [[1, 'realm1', {}]]);

    const held = post(b, `/${id}/receive`);
    setTimeout(() => transport.send(event(1)), 50);
    assert.deepEqual(JSON.parse((await held).body), [MessageType.EVENT, 1, 1, {}, [1]]);

    // A relayed receive whose client gives up: what comes next waits for the next receive.
    const abandoned = post(b, `/${id}/receive`, '', 100).catch((error: Error) => error);
    assert.ok((await abandoned) instanceof Error);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the abandon reaches a
    transport.send(event(2));
    const next = await post(b, `/${id}/receive`);
    assert.deepEqual(JSON.parse(next.body), [MessageType.EVENT, 1, 2, {}, [2]]);

    const tooLarge = await post(b, `/${id}/send`, 'x'.repeat(2_000));
    assert.equal(tooLarge.status, 413, 'bounded by max_message_size on the node it lands on; the transport is closed');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await post(a, `/${id}/receive`)).status, 404);
  });

  it('answers clearly when the holding node is gone, restarted or silent', async () => {
    const b = nodes.get('b') ?? await node('b');
    const id = clusterTransportId('a', 'gone');
    try {
      failRelays = new AskError('gone', 'router node "a" left the cluster');
      const gone = await post(b, `/${id}/receive`);
      assert.equal(gone.status, 404);
      assert.match(gone.body, /"error":"no_such_transport".*left the cluster or was restarted/);
      failRelays = new AskError('timeout', 'router node "a" did not answer within 12000 ms');
      const silent = await post(b, `/${id}/send`, '[]');
      assert.equal(silent.status, 504);
      assert.match(silent.body, /"error":"relay_failed"/);
    } finally {
      failRelays = undefined;
    }
    const unknown = await post(b, `/${clusterTransportId('a', 'never')}/receive`);
    assert.equal(unknown.status, 404, 'a transport its node does not hold');
  });
});
