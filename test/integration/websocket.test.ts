import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';

const node = await startTestNode(testConfig({
  maxMessageSize: 4096,
  maxBufferedBytes: 64 * 1024,
  autoPingInterval: 100,
  autoPingTimeout: 100,
  openHandshakeTimeout: 300,
}));
after(() => node.stop());

const metric = (name: string, from: { metrics: typeof node.metrics } = node): number => {
  const line = from.metrics.exposition().split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
};

async function established(): Promise<RawClient> {
  const client = await RawClient.open(node.url);
  const welcome = await client.hello();
  assert.equal(welcome[0], 2, `expected WELCOME, got ${JSON.stringify(welcome)}`);
  return client;
}

/** A healthy session that proves the router still serves others. */
async function stillServing(): Promise<void> {
  const client = await established();
  client.send([32, 1, {}, 'health.check']);
  assert.equal((await client.next())[0], 33);
  client.close();
}

/** The status and body of an upgrade the router refuses. */
function refusedUpgrade(ws: WebSocket): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error('the handshake should have been refused')));
    ws.on('error', () => {});
  });
}

describe('websocket transport - subprotocol negotiation', () => {
  it('refuses a handshake with no supported subprotocol, naming the supported ones', async () => {
    const response = await refusedUpgrade(new WebSocket(node.url, ['wamp.2.ubjson', 'chat']));
    assert.equal(response.status, 400);
    assert.match(response.body, /wamp\.2\.ubjson, chat/);
    assert.match(response.body, /wamp\.2\.json, wamp\.2\.msgpack, wamp\.2\.cbor/);
  });

  it('refuses a client that offers no subprotocol by default, saying it offered none', async () => {
    const response = await refusedUpgrade(new WebSocket(node.url));
    assert.equal(response.status, 400);
    assert.match(response.body, /offered: none\)\. This endpoint supports: wamp\.2\.json/);
  });

  it('serves a client that offers no subprotocol JSON where require_websocket_subprotocol is false (as Crossbar)', async (t) => {
    const lenient = await startTestNode(testConfig({ requireWebsocketSubprotocol: false }));
    t.after(() => lenient.stop());
    const client = await RawClient.open(lenient.url, []);
    assert.equal(client.ws.protocol, '', 'no subprotocol is announced in the response');
    assert.equal((await client.hello())[0], 2);
    client.send([48, 1, {}, 'wamp.session.count']);
    assert.deepEqual(await client.next(), [50, 1, {}, [1]], 'a JSON CALL gets a JSON RESULT');
    client.close();
    // An announced subprotocol still wins.
    const cbor = await RawClient.open(lenient.url, ['wamp.2.cbor']);
    assert.equal(cbor.ws.protocol, 'wamp.2.cbor');
    cbor.close();
  });

  it("picks the first of the client's offers that it supports", async () => {
    const client = await RawClient.open(node.url, ['wamp.2.foo', 'wamp.2.cbor', 'wamp.2.json']);
    assert.equal(client.ws.protocol, 'wamp.2.cbor');
    client.close();
  });

  it('answers a plain HTTP request on the WebSocket path with 426', async () => {
    const response = await fetch(node.url.replace('ws://', 'http://'));
    assert.equal(response.status, 426);
    assert.match(((await response.json()) as { message: string }).message, /^This is a WAMP WebSocket endpoint: /);
  });
});

describe('websocket transport - bad input', () => {
  it('aborts a session that sends garbage, with the decoder reason, and keeps serving others', async () => {
    const client = await RawClient.open(node.url);
    client.send('{this is not json');
    const abort = await client.next();
    assert.equal(abort[0], 3);
    assert.equal(abort[2], 'wamp.error.protocol_violation');
    assert.match(String((abort[1] as { message: string }).message), /could not decode the message as json/);
    await client.closed;
    await stillServing();
  });

  it('aborts HELLO for an unknown realm with wamp.error.no_such_realm', async () => {
    const client = await RawClient.open(node.url);
    const abort = await client.hello('no.such.realm');
    assert.deepEqual([abort[0], abort[2]], [3, 'wamp.error.no_such_realm']);
    await stillServing();
  });

  it('closes a connection that sends a message over max_message_size with 1009', async () => {
    const client = await established();
    const before = metric('junction_ws_oversized_messages_total');
    client.send([16, 1, {}, 'big.topic', ['x'.repeat(8192)]]);
    await client.closed;
    assert.equal(client.closeCode, 1009);
    assert.equal(metric('junction_ws_oversized_messages_total'), before + 1);
    await stillServing();
  });

  it('drops a connection that never completes HELLO within open_handshake_timeout', async () => {
    const client = await RawClient.open(node.url);
    await client.closed;
    const abort = client.messages.find((m) => m[0] === 3);
    assert.ok(abort, 'an ABORT explains the drop');
    assert.match(String((abort[1] as { message: string }).message), /no HELLO/);
  });
});

describe('websocket transport - what a session knows of its connection', () => {
  it('reports its transport, serializer, client address and path in wamp.session.get', async () => {
    const client = await RawClient.open(node.url, ['wamp.2.msgpack', 'wamp.2.json']);
    const welcome = await client.hello();
    const sessionId = welcome[1] as number;
    client.send([48, 1, {}, 'wamp.session.get', [sessionId]]);
    const result = await client.next();
    assert.equal(result[0], 50, `expected RESULT, got ${JSON.stringify(result)}`);
    const { transport } = (result[3] as [{ transport: Record<string, unknown> }])[0];
    const local = client.ws as unknown as { _socket: { localPort: number } };
    assert.deepEqual(transport, {
      type: 'websocket', serializer: 'msgpack', peer: `tcp4:127.0.0.1:${local._socket.localPort}`,
      extra: { path: new URL(node.url).pathname },
    });
    client.close();
  });
});

describe('websocket transport - liveness and backpressure', () => {
  it('keeps pinging a peer that answers, and keeps it, across several intervals', async () => {
    // A node of its own, whose pongs may take seconds: this process answers its own pings, and on
    // a loaded machine (a full CI run on 2 cores) it is at times not scheduled for over 100 ms, the
    // shared node's timeout, so a peer that answers would be dropped. No other session counts here.
    const patient = await startTestNode(testConfig({ autoPingInterval: 100, autoPingTimeout: 5_000 }));
    const client = await RawClient.open(patient.url);
    try {
      assert.equal((await client.hello())[0], 2);
      let pings = 0;
      client.ws.on('ping', () => (pings += 1));
      await waitFor(() => pings >= 3, 'three pings (auto_ping_interval is 100 ms)');
      assert.equal(client.ws.readyState, WebSocket.OPEN);
      assert.equal(metric('junction_ws_ping_timeouts_total', patient), 0);
    } finally {
      client.close();
      await patient.stop();
    }
  });

  it("answers a client's ping with a pong carrying the ping's data", async () => {
    const client = await established();
    const pong = new Promise<Buffer>((resolve) => client.ws.once('pong', resolve));
    client.ws.ping(Buffer.from('are you there?'));
    assert.equal((await pong).toString(), 'are you there?');
    client.close();
  });

  it('drops a client that floods pings without reading the pongs, once its send buffer passes the limit', async () => {
    const quiet = await startTestNode(testConfig({ maxBufferedBytes: 64 * 1024, autoPingInterval: 0 }));
    const slowConsumers = (): number => Number(quiet.metrics.exposition().split('\n')
      .find((l) => l.startsWith('junction_ws_slow_consumer_closed_total '))?.split(' ').pop() ?? 0);
    const client = await RawClient.open(quiet.url);
    try {
      await client.hello();
      (client.ws as unknown as { _socket: { pause(): void } })._socket.pause(); // reads nothing more
      const payload = Buffer.alloc(125, 'p');
      // Bounded: at most 400,000 pings (50 MB of pongs), far above the 64 KiB limit plus kernel buffers.
      for (let batch = 0; batch < 400 && slowConsumers() === 0; batch++) {
        for (let i = 0; i < 1000; i++) client.ws.ping(payload);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(slowConsumers(), 1);
      await waitFor(() => quiet.router.realm('realm1')!.sessions.size === 0, 'the session to be cleaned up');
    } finally {
      client.ws.terminate();
      await quiet.stop();
    }
  });

  it('drops a peer that stops answering pings', async () => {
    const before = metric('junction_ws_ping_timeouts_total');
    const client = await RawClient.open(node.url, ['wamp.2.json'], { autoPong: false });
    await client.hello();
    await client.closed;
    assert.equal(client.closeCode, 1006, 'terminated without a close frame');
    assert.equal(metric('junction_ws_ping_timeouts_total'), before + 1);
  });

  it('closes a subscriber that stops reading once its send buffer passes the limit, and nobody else', async () => {
    // Keepalive off: a paused reader also stops answering pings, which would end it first.
    const quiet = await startTestNode(testConfig({ maxBufferedBytes: 64 * 1024, autoPingInterval: 0 }));
    const open = async (): Promise<RawClient> => {
      const client = await RawClient.open(quiet.url);
      await client.hello();
      return client;
    };
    const metric = (name: string): number =>
      Number(quiet.metrics.exposition().split('\n').find((l) => l.startsWith(`${name} `))?.split(' ').pop() ?? 0);
    const slow = await open();
    slow.send([32, 1, {}, 'firehose']);
    await slow.next((m) => m[0] === 33);
    const socket = (slow.ws as unknown as { _socket: { pause(): void } })._socket;
    socket.pause(); // stops reading: the kernel buffers fill, then the router's send buffer grows

    const publisher = await open();
    const before = metric('junction_ws_slow_consumer_closed_total');
    const chunk = 'y'.repeat(3000);
    // Bounded: at most 3,000 events of 3 KB (9 MB), far above the 64 KiB limit plus kernel buffers.
    for (let i = 1; i <= 3000 && metric('junction_ws_slow_consumer_closed_total') === before; i++) {
      publisher.send([16, i, { acknowledge: true }, 'firehose', [chunk]]);
      await publisher.next((m) => m[0] === 17 && m[1] === i);
    }
    assert.equal(metric('junction_ws_slow_consumer_closed_total'), before + 1);
    publisher.send([16, 99_999, { acknowledge: true }, 'firehose', ['after']]);
    assert.equal((await publisher.next((m) => m[1] === 99_999))[0], 17, 'the publisher is unaffected');
    await waitFor(() => quiet.router.realm('realm1')!.sessions.size === 1, 'the slow session to be cleaned up');
    publisher.close();
    slow.close();
    await quiet.stop();
  });
});
