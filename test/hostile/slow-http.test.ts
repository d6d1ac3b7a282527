/**
 * Slow and oversized HTTP clients: a connection that sends nothing, headers or a body trickled a
 * byte at a time, are answered 408 and closed at the configured limits (open_handshake_timeout
 * for the headers, request_body_timeout for the body) instead of Node's 30 s check; headers too
 * large get 431; a body too
 * large for its limit is answered 413, and a client that writes its whole body before reading
 * (as Python's http.client does) still reads that 413 instead of a connection reset.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../../src/node/node.js';
import { bridgeDefaults } from '../bridge/http-support.js';
import { recordingLogger, startTestNode, testConfig, webSocketPath, type LogEntry } from '../support/node.js';
import { selfSignedCertificate, skipTls } from '../support/tls.js';

const HANDSHAKE_MS = 1_000;
const BODY_MS = 1_000;
/** Far below Node's 30 s check, far above the limits: the bound these tests hold the router to. */
const CLOSED_WITHIN_MS = 10_000;

/** A raw TCP client that records everything it reads and when the connection ended. */
class RawHttpClient {
  readonly socket: Socket;
  received = '';
  readonly closed: Promise<number>;
  private readonly opened = Date.now();

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => (this.received += chunk.toString('latin1')));
    this.socket.on('error', () => {}); // a reset after the answer only ends this connection
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve(Date.now() - this.opened)));
  }

  /** Writes `text` one byte every `intervalMs` until it is all sent or the connection closes. */
  async trickle(text: string, intervalMs: number): Promise<void> {
    for (const char of text) {
      if (this.socket.destroyed || this.socket.writableEnded) return;
      this.socket.write(char);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  get status(): number | undefined {
    const match = /^HTTP\/1\.1 (\d{3})/.exec(this.received);
    return match ? Number(match[1]) : undefined;
  }
}

describe('slow HTTP clients', { timeout: 60_000 }, () => {
  let node: RunningNode;
  let port: number;
  const lines: LogEntry[] = [];
  const slowWarnings = () => lines.filter((line) => line.level === 'warn' && /too slow/.test(line.msg));
  const tlsDir = mkdtempSync(join(tmpdir(), 'junction-slow-tls-'));

  const metric = (labels: string): number => {
    const line = node.metrics.exposition().split('\n').find((text) => text.startsWith(`junction_http_request_timeouts_total{${labels}} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };

  before(async () => {
    const config = testConfig({ openHandshakeTimeout: HANDSHAKE_MS });
    const listener = config.listeners[0]!;
    listener.requestBodyTimeoutMs = BODY_MS;
    listener.paths['/pub'] = { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { ...bridgeDefaults, postBodyLimit: 1_000 } };
    const tls = selfSignedCertificate(tlsDir);
    if (tls) {
      config.listeners.push({
        id: 'tls', kind: 'websocket', trustedProxies: [],
        endpoint: { port: 0, interface: '127.0.0.1', tls: { ...tls, chainCertificates: [] } },
        paths: { '/': webSocketPath(config) },
      });
    }
    node = await startTestNode(config, { log: recordingLogger(lines) });
    port = node.ports.get('test')!;
  });

  after(async () => {
    await node?.stop();
    rmSync(tlsDir, { recursive: true, force: true });
  });

  it('closes a connection that sends nothing at open_handshake_timeout, with 408', async () => {
    const before = metric('phase="headers"');
    const client = new RawHttpClient(port);
    const elapsed = await client.closed;
    assert.ok(elapsed < CLOSED_WITHIN_MS, `closed after ${elapsed} ms; the limit is ${HANDSHAKE_MS} ms`);
    assert.ok(elapsed >= HANDSHAKE_MS * 0.9, `closed after ${elapsed} ms, before the ${HANDSHAKE_MS} ms limit`);
    assert.equal(client.status, 408, client.received);
    assert.equal(metric('phase="headers"'), before + 1);
    // A browser's unused preconnect looks just so: counted, but no warning of a slow client.
    assert.deepEqual(slowWarnings(), []);
  });

  it('closes a TLS connection that never starts its TLS handshake at open_handshake_timeout', { skip: skipTls }, async () => {
    const client = new RawHttpClient(node.ports.get('tls')!);
    const elapsed = await client.closed;
    assert.ok(elapsed < CLOSED_WITHIN_MS, `closed after ${elapsed} ms; the limit is ${HANDSHAKE_MS} ms`);
  });

  it('closes an upgrade whose headers are trickled a byte at a time, with 408', async () => {
    const client = new RawHttpClient(port);
    void client.trickle('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n', 100);
    const elapsed = await client.closed;
    assert.ok(elapsed < CLOSED_WITHIN_MS, `closed after ${elapsed} ms`);
    assert.equal(client.status, 408, client.received);
    assert.equal(slowWarnings().length, 1, 'a client that sent part of its headers is warned of');
  });

  it('answers 408 to a body trickled a byte at a time, past request_body_timeout', async () => {
    const before = metric('phase="body"');
    const client = new RawHttpClient(port);
    const body = JSON.stringify({ topic: 'com.example.slow', args: ['x'.repeat(100)] });
    client.socket.write(`POST /pub HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    void client.trickle(body, 100);
    const elapsed = await client.closed;
    assert.ok(elapsed < CLOSED_WITHIN_MS, `closed after ${elapsed} ms`);
    assert.ok(elapsed >= (HANDSHAKE_MS + BODY_MS) * 0.9, `closed after ${elapsed} ms, before headers + body had their time`);
    assert.equal(client.status, 408, client.received);
    assert.equal(metric('phase="body"'), before + 1);
  });

  it('answers 431 to headers larger than Node reads', async () => {
    const client = new RawHttpClient(port);
    client.socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'x'.repeat(32 * 1024)}\r\n\r\n`);
    await client.closed;
    assert.equal(client.status, 431, client.received);
    assert.match(client.received, /"error":"headers_too_large"/);
  });

  it('answers a request Node cannot read with a 400, and a CONNECT with a 405, each with a JSON error saying why (found by fuzzing: the body was empty, a CONNECT was dropped)', async () => {
    for (const [head, code, status] of [['FOO / HTTP/1.1', 'invalid_method', 400], ['GET /a b HTTP/1.1', 'malformed_request', 400], ['CONNECT 127.0.0.1:1 HTTP/1.1', 'method_not_allowed', 405]] as const) {
      const client = new RawHttpClient(port);
      client.socket.write(`${head}\r\nHost: 127.0.0.1\r\n\r\n`);
      await client.closed;
      assert.equal(client.status, status, client.received);
      const body = JSON.parse(client.received.slice(client.received.indexOf('\r\n\r\n') + 4)) as { error: string; message: string };
      assert.equal(body.error, code, client.received);
      assert.notEqual(body.message, '');
    }
  });

  it('answers an Expect header other than 100-continue with a 417 and a JSON error saying why (found by fuzzing: the body was empty)', async () => {
    const client = new RawHttpClient(port);
    client.socket.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: teapot\r\nConnection: close\r\n\r\n');
    await client.closed;
    assert.equal(client.status, 417, client.received);
    const body = JSON.parse(client.received.slice(client.received.indexOf('\r\n\r\n') + 4)) as { error: string; message: string };
    assert.equal(body.error, 'expectation_failed', client.received);
    assert.match(body.message, /"teapot"/);
  });

  it('lets a body that arrives in pieces within its time through', async () => {
    const client = new RawHttpClient(port);
    const body = JSON.stringify({ topic: 'com.example.slow', args: [1] });
    client.socket.write(`POST /pub HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    client.socket.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.socket.end(body.slice(10));
    await client.closed;
    assert.equal(client.status, 200, client.received);
  });

  it('lets a client that writes a whole oversized body before reading read the 413', async () => {
    const client = new RawHttpClient(port);
    const body = Buffer.alloc(4 * 1024 * 1024, 0x20); // far over post_body_limit, within what is thrown away
    const head = `POST /pub HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    // Like Python's http.client: the whole body first; a reset while writing would lose the answer.
    const written = await new Promise<Error | undefined>((resolve) => {
      client.socket.write(head);
      client.socket.write(body, (error) => resolve(error ?? undefined));
    });
    assert.equal(written, undefined, `the connection was reset while the body was being sent: ${written?.message}`);
    const deadline = Date.now() + 5_000;
    while (client.status === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(client.status, 413, client.received);
    assert.match(client.received, /body_too_large/);
    client.socket.destroy();
  });
});
