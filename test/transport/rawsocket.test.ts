import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CodecName } from '../../src/codec/index.js';
import type { RunningNode } from '../../src/node/node.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode, testConfig } from '../support/node.js';
import { RawSocketClient } from './rawsocket-client.js';
import { addRawSocketListener } from './rawsocket-support.js';

const dir = mkdtempSync(join(tmpdir(), 'junction-rawsocket-'));
const socketPath = join(dir, 'junction.sock');

const config = testConfig();
// After GOODBYE the router closes a connection that sends no new HELLO at the handshake timeout,
// which the pub/sub tests wait for: short, but long enough for a loaded machine's HELLO (as in peer-compat).
addRawSocketListener(config, 'rs', { openHandshakeTimeout: 2_000 });
addRawSocketListener(config, 'unix', {}, { type: 'unix', path: socketPath, interface: '' });
addRawSocketListener(config, 'small', { maxConnections: 2, maxMessageSize: 1_024, serializers: ['json'] });
addRawSocketListener(config, 'ticket', { auth: { ticket: { type: 'static', principals: { service: { ticket: 's3cret', role: 'anonymous' } } } } });

let node: RunningNode & { url: string };
let browser: OpenSession;
const rs = (): { port: number } => ({ port: node.ports.get('rs')! });

before(async () => {
  node = await startTestNode(config);
  browser = await openAutobahn(node.url, 'json');
  await browser.session.register('com.browser.echo', (args: unknown[]) => args);
  await browser.session.register('com.browser.big', (args: number[]) => 'b'.repeat(args[0]!));
});

after(async () => {
  await browser?.close();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const isType = (type: number) => (message: unknown[]): boolean => message[0] === type;

describe('RawSocket transport', () => {
  for (const serializer of ['json', 'msgpack', 'cbor'] as CodecName[]) {
    it(`serves pub/sub and RPC with a WebSocket client over ${serializer}`, async () => {
      const client = await RawSocketClient.open(rs(), { serializer });
      try {
        const welcome = await client.hello();
        assert.equal(welcome[0], 2);
        const sessionId = welcome[1] as number;

        // The session meta API reports the transport as RawSocket with the TCP peer.
        const info = await browser.session.call('wamp.session.get', [sessionId]);
        assert.equal(info.transport.type, 'rawsocket');
        assert.equal(info.transport.serializer, serializer);
        assert.match(info.transport.peer, /^tcp4:127\.0\.0\.1:\d+$/);

        client.send([32, 1, {}, 'com.news']);
        const subscribed = await client.next(isType(33));
        await browser.session.publish('com.news', ['hello', 1], { from: 'browser' }, { acknowledge: true });
        const event = await client.next(isType(36));
        assert.deepEqual(event.slice(1, 2).concat(event.slice(4)), [subscribed[2], ['hello', 1], { from: 'browser' }]);

        client.send([64, 2, {}, 'com.rs.add']);
        const registered = await client.next(isType(65));
        const calling = browser.session.call('com.rs.add', [2, 3]);
        const invocation = await client.next(isType(68));
        assert.equal(invocation[2], registered[2]);
        assert.deepEqual(invocation[4], [2, 3]);
        client.send([70, invocation[1], {}, [5]]);
        assert.equal(await calling, 5);

        client.send([48, 3, {}, 'com.browser.echo', ['über', { n: 1 }]]);
        const result = await client.next(isType(50));
        assert.deepEqual(result.slice(1), [3, {}, [['über', { n: 1 }]]], 'AutobahnJS returns the args list as one value');

        client.send([6, {}, 'wamp.close.normal']);
        assert.deepEqual(await client.next(isType(6)), [6, {}, 'wamp.close.normal']);
        await client.closed;
      } finally {
        client.close();
      }
    });
  }

  it('serves a Unix socket, labelled by its path', async () => {
    const client = await RawSocketClient.open({ path: socketPath }, { serializer: 'cbor' });
    const welcome = await client.hello();
    const info = await browser.session.call('wamp.session.get', [welcome[1]]);
    assert.equal(info.transport.peer, `unix:${socketPath}`);
    client.close();
  });

  it('signs clients in with the listener\'s own auth settings (ticket)', async () => {
    const target = { port: node.ports.get('ticket')! };
    const client = await RawSocketClient.open(target);
    client.send([1, 'realm1', { roles: { caller: {} }, authmethods: ['ticket'], authid: 'service' }]);
    assert.deepEqual(await client.next(), [4, 'ticket', {}]);
    client.send([5, 's3cret', {}]);
    const welcome = await client.next();
    assert.equal(welcome[0], 2);
    assert.equal((welcome[2] as { authid: string }).authid, 'service');
    client.close();

    const anonymous = await RawSocketClient.open(target);
    const refused = await anonymous.hello();
    assert.deepEqual(refused.slice(0, 1).concat(refused.slice(2)), [3, 'wamp.error.no_auth_method']);
    anonymous.close();
  });

  it('announces the largest length within max_message_size in its reply', async () => {
    const { client, reply } = await RawSocketClient.connect({ port: node.ports.get('small')! });
    assert.deepEqual(reply, { ok: true, serializerId: 1, lengthExponent: 1, maxReceiveLength: 1_024 });
    client.close();
  });

  it('refuses a serializer the listener does not serve (error 1)', async () => {
    const { reply } = await RawSocketClient.connect({ port: node.ports.get('small')! }, { serializer: 'msgpack' });
    assert.deepEqual(reply, { ok: false, error: 1, reason: 'serializer unsupported' });
  });

  it('refuses connections over max_connections (error 4) and accepts again after one left', async () => {
    const target = { port: node.ports.get('small')! };
    const first = await RawSocketClient.open(target);
    const second = await RawSocketClient.open(target);
    const third = await RawSocketClient.connect(target);
    assert.deepEqual(third.reply, { ok: false, error: 4, reason: 'maximum connection count reached' });
    await third.client.closed;
    first.close();
    second.close();
    // The router learns of the close asynchronously: retry until a slot is free (bounded).
    let accepted = false;
    for (let attempt = 0; attempt < 50 && !accepted; attempt++) {
      const { client, reply } = await RawSocketClient.connect(target);
      accepted = reply.ok;
      client.close();
    }
    assert.ok(accepted, 'a slot frees up once the two connections are gone');
  });

  it('fails a connection that is not RawSocket without answering', async () => {
    const socket = connectTcp({ host: '127.0.0.1', port: rs().port });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(socket, 'close');
    assert.deepEqual(received, []);
  });

  it('aborts a client that sends a message longer than the router announced', async () => {
    const client = await RawSocketClient.open({ port: node.ports.get('small')! });
    await client.hello();
    const before = node.metrics.counter('junction_rawsocket_oversized_frames_total', '').value();
    client.send([16, 1, {}, 'com.big', ['x'.repeat(2_000)]]);
    const abort = await client.next(isType(3));
    assert.equal(abort[2], 'wamp.error.protocol_violation');
    assert.match((abort[1] as { message: string }).message, /frame of \d+ octets exceeds the 1024 octets this router accepts/);
    await client.closed;
    assert.equal(node.metrics.counter('junction_rawsocket_oversized_frames_total', '').value(), before + 1);
  });

  it('never sends a client more than it announced: results become errors, events are skipped', async () => {
    const client = await RawSocketClient.open(rs(), { lengthExponent: 1 }); // receives at most 1 KiB
    await client.hello();
    client.send([48, 1, {}, 'com.browser.big', [5_000]]);
    const error = await client.next(isType(8));
    assert.deepEqual(error.slice(0, 5), [8, 48, 1, {}, 'wamp.error.payload_size_exceeded']);
    client.send([48, 2, {}, 'com.browser.big', [100]]);
    assert.equal(((await client.next(isType(50)))[3] as string[])[0], 'b'.repeat(100), 'the session goes on');

    client.send([32, 3, {}, 'com.feed']);
    await client.next(isType(33));
    await browser.session.publish('com.feed', ['x'.repeat(5_000)], {}, { acknowledge: true });
    await browser.session.publish('com.feed', ['small'], {}, { acknowledge: true });
    const event = await client.next(isType(36));
    assert.deepEqual(event[4], ['small']);

    // An INVOCATION too long for the callee: the caller gets the error the router sent on the callee's behalf.
    client.send([64, 4, {}, 'com.rs.tiny']);
    await client.next(isType(65));
    await assert.rejects(browser.session.call('com.rs.tiny', ['y'.repeat(5_000)]),
      (error: { error: string; args: string[] }) => error.error === 'wamp.error.payload_size_exceeded' && /INVOCATION of \d+ octets/.test(error.args[0]!));
    assert.deepEqual(client.messages.filter(isType(68)), []);
    client.close();
  });
});

describe('RawSocket Unix socket file', () => {
  it('replaces a stale socket file and removes its own at stop', async () => {
    const path = join(dir, 'stale.sock');
    // A process that dies while listening leaves its socket file behind.
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await once(child, 'exit');
    assert.ok(existsSync(path), 'the dead process left its socket file');
    const staleConfig = testConfig();
    addRawSocketListener(staleConfig, 'unix', {}, { type: 'unix', path, interface: '' });
    const second = await startTestNode(staleConfig);
    const client = await RawSocketClient.open({ path });
    assert.equal((await client.hello())[0], 2);
    await second.stop();
    assert.equal(existsSync(path), false);
  });

  it('refuses a path that is not a socket, and a socket another process listens on', async () => {
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'precious');
    const fileConfig = testConfig();
    addRawSocketListener(fileConfig, 'unix', {}, { type: 'unix', path: file, interface: '' });
    await assert.rejects(startTestNode(fileConfig), /not-a-socket exists and is not a Unix socket/);
    assert.ok(existsSync(file));

    const busy = join(dir, 'busy.sock');
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(busy, resolve));
    const busyConfig = testConfig();
    addRawSocketListener(busyConfig, 'unix', {}, { type: 'unix', path: busy, interface: '' });
    await assert.rejects(startTestNode(busyConfig), /another process is listening on the Unix socket/);
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });
});
