import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, RunningJunction } from '../support/cli.js';
import { boundCookie, connectWithCookie, cookieRouterConfig, signInAsJoe } from '../support/cookie-client.js';
import type { OwnedProcess } from '../support/owned-process.js';
import type { RawClient } from '../support/raw-client.js';

/**
 * `--workers 2` and cookie authentication: a cookie bound by a sign-in on one worker signs in on
 * the other (the memory store is shared by the workers through an lmdb file under the data
 * folder; the file store is one lmdb file), and a logout on one worker ends it on both: the
 * cookie is forgotten and its connections on every worker close. Two parents on one data folder
 * each keep their own memory store.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-workers-cookie-'));
const running: RunningJunction[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  rmSync(home, { recursive: true, force: true });
});

function configFile(store: object): string {
  const path = join(home, `config-${Object.values(store).join('-')}.json`);
  writeFileSync(path, JSON.stringify(cookieRouterConfig({ store })));
  return path;
}

for (const store of [{ type: 'memory' }, { type: 'file', filename: 'cookies.dat' }]) {
  describe(`--workers 2 with the ${store.type} cookie store`, { timeout: 90_000 }, () => {
    it('a cookie bound on one worker signs in on the other; a logout on one ends it everywhere', async () => {
      const port = await freePort();
      const junction = RunningJunction.start(['--config', configFile(store), '--host', '127.0.0.1', '--port', String(port), '--workers', '2', '--data-dir', join(home, `data-${store.type}`)]);
      running.push(junction);
      for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
      const url = `ws://127.0.0.1:${port}/ws`;

      const first = await connectWithCookie(url);
      const bound = await signInAsJoe(first.client);
      assert.equal(bound.authprovider, 'static');
      const cookie = first.setCookie!.split(';')[0]!;
      first.client.close();

      // Connect with the cookie until connections landed on both workers (the parent spreads them; bounded).
      const seen = new Set<unknown>();
      const open: RawClient[] = [];
      for (let i = 0; i < 16 && seen.size < 2; i++) {
        const again = await connectWithCookie(url, cookie);
        open.push(again.client);
        const details = await signInAsJoe(again.client);
        assert.equal(details.authprovider, 'cookie', `signed in by cookie on ${String(details.x_junction_node)}`);
        assert.equal(details.authid, 'joe');
        seen.add(details.x_junction_node);
      }
      assert.deepEqual([...seen].sort(), ['w1', 'w2']);

      const leaving = open.at(-1)!;
      leaving.send([6, {}, 'wamp.close.logout']);
      await leaving.next((message) => message[0] === 6);
      // The other connections with the cookie end, on this worker and on the other.
      const others = open.slice(0, -1);
      await Promise.all(others.map((client) => client.closed));
      for (let i = 0; i < 4; i++) {
        const after = await connectWithCookie(url, cookie);
        const details = await signInAsJoe(after.client);
        assert.equal(details.authprovider, 'static', `after the logout, on ${String(details.x_junction_node)}`);
        after.client.close();
      }
      open.forEach((client) => client.close());
    });
  });
}

describe('two --workers parents on one data folder', { timeout: 120_000 }, () => {
  it('the second parent starting leaves the first one\'s memory store alone: a worker of the first restarted still knows its cookies', async () => {
    const dataDir = join(home, 'data-two-parents');
    const start = async (): Promise<{ junction: RunningJunction; url: string; workers: Map<string, OwnedProcess> }> => {
      const port = await freePort();
      const junction = RunningJunction.start(['--config', configFile({ type: 'memory' }), '--host', '127.0.0.1', '--port', String(port), '--workers', '2', '--data-dir', dataDir]);
      running.push(junction);
      return { junction, url: `ws://127.0.0.1:${port}/ws`, workers: await junction.workers(2) };
    };
    const first = await start();
    const cookie = await boundCookie(first.url);

    const second = await start();
    // The first parent's workers open their store again: it must still be theirs.
    for (const [node, worker] of first.workers) {
      worker.signal('SIGKILL');
      await first.junction.waitForLine((line) => line.msg === 'worker serving' && line.node === node && Number(line.pid) !== worker.pid, 30_000);
    }
    for (let i = 0; i < 4; i++) {
      const again = await connectWithCookie(first.url, cookie);
      assert.equal((await signInAsJoe(again.client)).authprovider, 'cookie', 'the first parent still knows the cookie');
      again.client.close();
    }
    const elsewhere = await connectWithCookie(second.url, cookie);
    assert.ok(elsewhere.setCookie, 'the second parent does not know the first one\'s cookie');
    assert.equal((await signInAsJoe(elsewhere.client)).authprovider, 'static');
    elsewhere.client.close();
  });
});
