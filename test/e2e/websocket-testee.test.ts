import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { freePort, runJunction, RunningJunction } from '../support/cli.js';

/**
 * Crossbar's benchmark echo servers (crossbar-examples benchmark/websocket: websocket-testee
 * workers sharing one port), its Flash policy transport (crossbar-examples flash) and its TCP echo
 * transport (stream.testee), through `junction check` and `junction start`, with --workers 2 as
 * Crossbar's several worker processes.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-testee-'));
const running: RunningJunction[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  rmSync(home, { recursive: true, force: true });
});

function testeeWorker(cpu: number, port: number): object {
  return {
    type: 'websocket-testee',
    options: { cpu_affinity: [cpu] },
    transport: {
      type: 'websocket',
      endpoint: { type: 'tcp', port, interface: '127.0.0.1', backlog: 2048, shared: true },
      url: `ws://localhost:${port}`,
      options: { compression: { deflate: {} } },
    },
  };
}

function policyOf(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('<policy-file-request/>\0'));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

/** What a TCP echo server sends back for `text`. */
function bytesEchoed(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (answer.length >= text.length) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
  });
}

async function echoOf(url: string, message: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  const ws = new WebSocket(url, { perMessageDeflate: true });
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const echoed = new Promise<{ data: Buffer; isBinary: boolean }>((resolve) => ws.once('message', (data: Buffer, isBinary) => resolve({ data, isBinary })));
    ws.send(message);
    return await echoed;
  } finally {
    ws.close();
  }
}

describe('websocket-testee workers and a flashpolicy transport, through the CLI', { timeout: 120_000 }, () => {
  it('check accepts the file; start --workers 2 echoes on the shared port and serves the Flash policy', async () => {
    const [echoPort, flashPort, wsPort, bytesPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const configPath = join(home, 'config.json');
    writeFileSync(configPath, JSON.stringify({
      version: 2,
      controller: { fabric: {} },
      workers: [
        testeeWorker(0, echoPort),
        testeeWorker(1, echoPort),
        {
          type: 'router',
          realms: [{ name: 'realm1', roles: [{ name: 'anonymous', permissions: [] }] }],
          transports: [
            { type: 'websocket', endpoint: { type: 'tcp', port: wsPort, interface: '127.0.0.1' } },
            { type: 'flashpolicy', allowed_domain: '*', allowed_ports: [wsPort], endpoint: { type: 'tcp', port: flashPort, interface: '127.0.0.1' } },
            { type: 'stream.testee', endpoint: { type: 'tcp', port: bytesPort, interface: '127.0.0.1' } },
          ],
        },
      ],
    }));

    const check = await runJunction(['check', '--config', configPath]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout + check.stderr, /ok \(1 realm, 4 transports\)/);

    const junction = RunningJunction.start(['--config', configPath, '--workers', '2']);
    running.push(junction);
    await junction.started((line) => line.msg === 'listening' && line.service === 'websocket-testee');
    await junction.started((line) => line.msg === 'listening' && line.service === 'flashpolicy');
    await junction.started((line) => line.msg === 'listening' && line.service === 'stream-testee');

    for (let attempt = 0; attempt < 4; attempt += 1) {
      assert.deepEqual(await echoOf(`ws://127.0.0.1:${echoPort}/`, `hello ${attempt}`), { data: Buffer.from(`hello ${attempt}`), isBinary: false });
    }
    assert.deepEqual(await echoOf(`ws://127.0.0.1:${echoPort}/`, Buffer.from([1, 2, 3])), { data: Buffer.from([1, 2, 3]), isBinary: true });
    assert.equal(await policyOf(flashPort),
      `<?xml version="1.0"?><cross-domain-policy><allow-access-from domain="*" to-ports="${wsPort}" /></cross-domain-policy>\0`);
    assert.equal(await bytesEchoed(bytesPort, 'raw bytes\n'), 'raw bytes\n');
    junction.kill();
  });
});
