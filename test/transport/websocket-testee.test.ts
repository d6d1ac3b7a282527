/**
 * Crossbar's websocket-testee workers through a real node of testee workers only (no router, as
 * Crossbar's benchmark configs have it): every message comes back as it came, text and binary,
 * fragmented or compressed; the limits hold (1009 over max_message_size, 1007 for bad UTF-8,
 * max_connections, max_buffered_bytes against a client that does not read, keepalive), each
 * counted in its metric.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { loadDocument } from '../../src/config/test-support.js';
import type { RunningNode } from '../../src/node/node.js';
import { freePort } from '../support/cli.js';
import { startTestNode } from '../support/node.js';
import { steady, waitFor } from '../support/wait.js';
import { closed, labelledMetric as metric, nextMessage, opened, refusal } from '../support/ws-probes.js';

const LIMIT = 64 * 1024;
const SLOW_LIMIT = 256 * 1024;

describe('websocket-testee workers', { timeout: 120_000 }, () => {
  let node: RunningNode;
  const ports: Record<string, number> = {};
  const url = (name: string, path = '/') => `ws://127.0.0.1:${ports[name]}${path}`;
  const open: WebSocket[] = [];
  const client = (name: string, options: ConstructorParameters<typeof WebSocket>[2] = {}, protocols: string[] = []) => {
    const ws = new WebSocket(url(name), protocols, options);
    open.push(ws);
    return ws;
  };

  before(async () => {
    const testee = (name: string, options: Record<string, unknown>) => ({
      type: 'websocket-testee',
      options: { cpu_affinity: [0] },
      transport: { type: 'websocket', id: name, endpoint: { type: 'tcp', port: ports[name], interface: '127.0.0.1', shared: true }, url: 'ws://localhost', options },
    });
    for (const name of ['main', 'capped', 'slow', 'pinged']) ports[name] = await freePort();
    node = await startTestNode(loadDocument({
      version: 2,
      workers: [
        testee('main', { max_message_size: LIMIT, compression: { deflate: {} } }),
        testee('main', { max_message_size: LIMIT, compression: { deflate: {} } }),
        testee('capped', { max_connections: 3, max_per_address: 0 }),
        testee('slow', { max_buffered_bytes: SLOW_LIMIT, max_message_size: 128 * 1024 }),
        testee('pinged', { auto_ping_interval: 200, auto_ping_timeout: 300 }),
      ],
    }));
  });

  after(async () => {
    for (const ws of open) ws.terminate();
    await node?.stop();
  });

  it("echoes text as text and binary as binary, the same bytes, on any path, with the client's first subprotocol", async () => {
    const ws = client('main', {}, ['x.first', 'wamp.2.json']);
    await opened(ws);
    assert.equal(ws.protocol, 'x.first');
    const binary = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    for (const [data, isBinary] of [[Buffer.from('grüße, 世界 🚀'), false], [binary, true], [Buffer.alloc(0), false], [Buffer.alloc(0), true]] as const) {
      const echoed = nextMessage(ws);
      ws.send(data, { binary: isBinary });
      const got = await echoed;
      assert.deepEqual([got.data, got.isBinary], [data, isBinary]);
    }
    const deep = new WebSocket(url('main', '/some/path?x=1'));
    open.push(deep);
    await opened(deep);
    assert.equal(deep.protocol, '', 'a client offering none gets none');
    const echoed = nextMessage(deep);
    deep.send('below the root');
    assert.equal((await echoed).data.toString(), 'below the root');
    assert.ok(metric(node, 'junction_testee_messages_total', { transport: 'main' }) >= 5);
  });

  it('echoes a fragmented message as one message, and a large one within the limit, compressed when asked', async () => {
    const ws = client('main', { perMessageDeflate: true });
    await opened(ws);
    assert.match(ws.extensions, /permessage-deflate/);
    const parts = [Buffer.from('first '), Buffer.from('second '), Buffer.from('third')];
    const echoed = nextMessage(ws);
    parts.forEach((part, index) => ws.send(part, { binary: false, fin: index === parts.length - 1 }));
    const got = await echoed;
    assert.deepEqual([got.data.toString(), got.isBinary], ['first second third', false]);
    const large = Buffer.alloc(LIMIT - 16, 7);
    large.writeUInt32BE(0xdeadbeef, 100);
    const back = nextMessage(ws);
    ws.send(large);
    assert.ok((await back).data.equals(large));
  });

  it('closes a connection with 1009 for a message over max_message_size, and 1007 for text that is not UTF-8', async () => {
    const ws = client('main');
    await opened(ws);
    const ended = closed(ws);
    ws.send(Buffer.alloc(LIMIT + 1));
    assert.equal((await ended).code, 1009);
    await waitFor(() => metric(node, 'junction_testee_failed_total', { transport: 'main', reason: 'too_large' }) === 1, 'the oversized close counted');
    const text = client('main');
    await opened(text);
    const textEnded = closed(text);
    text.send(Buffer.from([0xc3, 0x28]), { binary: false });
    assert.equal((await textEnded).code, 1007);
  });

  it('holds max_connections at once: more are refused with 503 until one closes', async () => {
    const first = [client('capped'), client('capped'), client('capped')];
    await Promise.all(first.map(opened));
    assert.equal((await refusal(url('capped'))).status, 503);
    assert.equal(metric(node, 'junction_testee_refused_total', { transport: 'capped', reason: 'too_many_connections' }), 1);
    assert.equal(metric(node, 'junction_testee_connections', { transport: 'capped' }), 3);
    const gone = closed(first[0]!);
    first[0]!.close();
    await gone;
    await waitFor(() => metric(node, 'junction_testee_connections', { transport: 'capped' }) === 2, 'the slot given back');
    const next = client('capped');
    await opened(next);
  });

  it('stops reading a client that does not read its echoes, and loses none of them', async () => {
    const ws = client('slow');
    await opened(ws);
    // Enough that kernel socket buffers (a few MiB each way on loopback) cannot hide a missing bound.
    const count = 400;
    const size = 64 * 1024;
    let received = 0;
    let bytes = 0;
    ws.on('message', (data: Buffer) => {
      received += 1;
      bytes += data.length;
    });
    ws.pause();
    for (let index = 0; index < count; index += 1) ws.send(Buffer.alloc(size, index % 256));
    await waitFor(() => metric(node, 'junction_testee_paused_total', { transport: 'slow' }) >= 1, 'the echo server pausing the connection', 10_000);
    // Everything the client can send has arrived once its send buffer stops moving (all written, had
    // the server kept reading; its echoes would then wait in the server's memory).
    await steady(() => ws.bufferedAmount, 'the client\'s sends to stop moving', 10_000);
    const held = metric(node, 'junction_testee_buffered_bytes', { transport: 'slow' });
    assert.ok(held <= SLOW_LIMIT + 2 * size, `${held} bytes held for the client, over ${SLOW_LIMIT} and two messages`);
    ws.resume();
    await waitFor(() => received === count, `all ${count} echoes`, 30_000);
    assert.equal(bytes, count * size);
  });

  it('drops a client that does not answer pings', async () => {
    const ws = client('pinged', { autoPong: false });
    await opened(ws);
    const ended = closed(ws);
    assert.equal((await ended).code, 1006);
    await waitFor(() => metric(node, 'junction_testee_failed_total', { transport: 'pinged', reason: 'ping_timeout' }) === 1, 'the ping timeout counted');
    const answering = client('pinged');
    await opened(answering);
    await new Promise((wait) => setTimeout(wait, 800));
    assert.equal(answering.readyState, WebSocket.OPEN, 'a client that answers pings stays');
  });

  it('answers a plain HTTP request with 426 and what the port is', async () => {
    const response = await fetch(`http://127.0.0.1:${ports.main}/`);
    assert.equal(response.status, 426);
    assert.match(await response.text(), /WebSocket echo server/);
  });
});
