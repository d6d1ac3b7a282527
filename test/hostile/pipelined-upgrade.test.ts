/**
 * An upgrade or a CONNECT pipelined behind a request whose answer is still being written. Node
 * hands their socket over as soon as it has read them: answered at once, the 101 (or the 405)
 * went out before the earlier request's answer, whose bytes then followed as if they were
 * WebSocket frames (found by reset-fuzz.test.ts). They are answered after it, in order.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from '../../src/node/node.js';
import { startTestNode, testConfig } from '../support/node.js';

/** Larger than the socket buffers hold, so its answer is still being written when the next request is read. */
const LONG_ANSWER = 'long answer\n'.repeat(400_000);

const upgrade = 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
  + 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n';

describe('an upgrade or a CONNECT pipelined behind a long answer', { timeout: 60_000 }, () => {
  let dir: string;
  let node: RunningNode;
  let port: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'junction-pipelined-upgrade-'));
    await writeFile(join(dir, 'long.txt'), LONG_ANSWER);
    const config = testConfig();
    config.listeners[0]!.paths['/static'] = { type: 'static', directory: dir, defaultFile: 'index.html', directoryListing: false, cacheTimeoutSeconds: 0, mimeTypes: {} };
    node = await startTestNode(config);
    port = node.ports.get('test')!;
  });

  after(async () => {
    await node?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Sends the GET of the long answer and `pipelined` in one write; returns what came back once `until` is in it, as text. */
  async function exchange(pipelined: string, until: string): Promise<string> {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    let received = '';
    const done = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${until}" within 20 s; got ${received.length} bytes starting ${JSON.stringify(received.slice(0, 120))}`)), 20_000);
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        const at = received.indexOf(until, received.indexOf('\r\n\r\n') + 4 + LONG_ANSWER.length);
        if (at >= 0 && received.indexOf('\r\n\r\n', at) >= 0) {
          clearTimeout(timer);
          resolve(received);
        }
      });
    });
    socket.write(`GET /static/long.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n${pipelined}`);
    try {
      return await done;
    } finally {
      socket.destroy();
    }
  }

  /** Where the long answer's body ends in `text`. */
  function afterLongAnswer(text: string): number {
    assert.ok(text.startsWith('HTTP/1.1 200 OK\r\n'), `the first answer is the GET's: ${JSON.stringify(text.slice(0, 80))}`);
    const headEnd = text.indexOf('\r\n\r\n') + 4;
    assert.equal(text.slice(headEnd, headEnd + LONG_ANSWER.length), LONG_ANSWER, 'the long answer arrives whole');
    return headEnd + LONG_ANSWER.length;
  }

  it('answers the upgrade with its 101 right after the earlier answer, not before or inside it', async () => {
    const text = await exchange(upgrade, 'HTTP/1.1 101');
    assert.equal(text.indexOf('HTTP/1.1 101'), afterLongAnswer(text));
  });

  it('answers the CONNECT with its 405 right after the earlier answer', async () => {
    const text = await exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 'HTTP/1.1 405');
    assert.equal(text.indexOf('HTTP/1.1 405'), afterLongAnswer(text));
  });
});
