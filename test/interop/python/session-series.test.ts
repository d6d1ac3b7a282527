import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { debianNeed, skipWithoutDebian } from '../../support/debian.js';
import { startTestNode, testConfig } from '../../support/node.js';
import { addRawSocketListener } from '../../transport/rawsocket-support.js';
import { spawnOwned } from '../../support/processes.js';

/**
 * Autobahn|Python (Debian's python3-autobahn, Twisted) runs a session series: three sessions in a
 * row on one connection (GOODBYE, then a new HELLO), over WebSocket and over RawSocket; its first
 * session holds Crossbar's "everything" subscription ("" with match prefix).
 */

const python = debianNeed('python3').file;
// From dist/test/interop/python/ the project root is four levels up; the script is not compiled.
const script = fileURLToPath(new URL('../../../../test/interop/python/session_series.py', import.meta.url));
const missing = skipWithoutDebian('python3-autobahn');

const config = testConfig();
addRawSocketListener(config, 'raw');
const node = await startTestNode(config);
after(() => node.stop());

interface Outcome {
  sessions: number[];
  connections: number;
  everything: string[];
}

/** Runs the series against `url`; resolves with what the script printed (bounded by the script itself). */
function runSeries(url: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawnOwned(python, [script, '--url', url, '--sessions', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.trim().split('\n').pop();
      if (code !== 0 || !line) reject(new Error(`session_series.py exited with ${code}; stdout: ${stdout}; stderr: ${stderr}`));
      else resolve(JSON.parse(line) as Outcome);
    });
  });
}

describe('Autobahn|Python session series', { skip: missing }, () => {
  const targets = {
    WebSocket: () => node.url,
    RawSocket: () => `rs://127.0.0.1:${node.ports.get('raw')}`,
  };
  for (const [transport, url] of Object.entries(targets)) {
    it(`${transport}: three sessions one after another on one connection, the first subscribed to everything`, async () => {
      const outcome = await runSeries(url());
      assert.equal(outcome.connections, 1);
      assert.equal(outcome.sessions.length, 3);
      assert.equal(new Set(outcome.sessions).size, 3, 'each session has its own ID');
      assert.ok(outcome.everything.includes('com.python.series'), JSON.stringify(outcome.everything));
      assert.ok(outcome.everything.includes('wamp.subscription.on_create'), 'the meta events reach the everything subscription');
    });
  }
});
