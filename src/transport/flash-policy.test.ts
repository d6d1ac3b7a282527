import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MetricsRegistry } from '../metrics/registry.js';
import { FlashPolicyService, policyDocument, requestState } from './flash-policy.js';

/** What the server sent before it closed the connection, after the client wrote `chunks` (a pause between each). */
function exchange(port: number, chunks: string[], pauseMs = 20): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
    socket.on('error', () => {}); // a reset after a refused request is an answer too
    socket.on('close', () => resolve(received));
    socket.once('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        await new Promise((wait) => setTimeout(wait, pauseMs));
      }
    });
    setTimeout(() => reject(new Error('the server did not close the connection')), 10_000).unref();
  });
}

describe('flash policy requests', () => {
  it('a request is recognised however it arrives; anything else at once', () => {
    assert.equal(requestState('<policy-file-request/>\0'), 'complete');
    assert.equal(requestState('  \n<policy-file-request  />'), 'complete');
    assert.equal(requestState('<policy-fi'), 'partial');
    assert.equal(requestState(' <policy-file-request /'), 'partial');
    assert.equal(requestState(''), 'partial');
    assert.equal(requestState('GET / HTTP/1.1'), 'invalid');
    assert.equal(requestState('<policy-file-requestX'), 'invalid');
  });

  it('the policy names the domain and ports, NUL-terminated', () => {
    assert.equal(policyDocument('*', '843,8080'),
      '<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="*" to-ports="843,8080" /></cross-domain-policy>\0');
  });
});

describe('flash policy service on a TCP socket', () => {
  let server: Server;
  let port: number;
  let metrics: MetricsRegistry;
  let service: FlashPolicyService;
  const policy = policyDocument('*.example.com', '8080');

  before(async () => {
    metrics = new MetricsRegistry();
    service = new FlashPolicyService({ allowedDomain: '*.example.com', allowedPorts: '8080' }, metrics, { transport: 'flash' },
      { maxRequestBytes: 200, requestTimeoutMs: 300, maxConnections: 2 });
    server = createServer((socket) => service.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    await service.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const count = (outcome: string) => {
    const line = metrics.exposition().split('\n').find((candidate) => candidate.startsWith('junction_flashpolicy_requests_total{') && candidate.includes(`outcome="${outcome}"`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('answers a request with the policy and closes, also when it comes in pieces', async () => {
    assert.equal(await exchange(port, ['<policy-file-request/>\0']), policy);
    assert.equal(await exchange(port, ['<policy-', 'file-request', '/>', '\0']), policy);
    assert.equal(count('answered'), 2);
  });

  it('closes anything else without an answer: another protocol, a request too long, one too slow', async () => {
    assert.equal(await exchange(port, ['GET / HTTP/1.1\r\n\r\n']), '');
    assert.equal(await exchange(port, [' '.repeat(150), ' '.repeat(100)]), '');
    assert.equal(await exchange(port, ['<policy-file-request'], 1_000), '');
    assert.deepEqual([count('not_a_request'), count('too_long'), count('timeout')], [1, 1, 1]);
  });

  it('holds at most maxConnections at once', async () => {
    const idle = [connect(port, '127.0.0.1'), connect(port, '127.0.0.1')];
    await Promise.all(idle.map((socket) => new Promise((resolve) => socket.once('connect', resolve))));
    await new Promise((wait) => setTimeout(wait, 50));
    assert.equal(await exchange(port, ['<policy-file-request/>\0']), '', 'a third connection is closed at once');
    assert.equal(count('too_many_connections'), 1);
    for (const socket of idle) socket.destroy();
  });
});
