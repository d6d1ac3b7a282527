import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, projectRoot, RunningJunction } from '../support/cli.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { Arrivals } from '../support/wait.js';

/**
 * The mission's reference Crossbar node (our own equivalent in test/fixtures/mission/config.json, the same keys: realm acme-company
 * without options, a websocket transport, a web transport with /publish, /call, /info and /ws, a
 * MessageForwarder on "breaking-news." and "user..orders", RESTCallees) started through the
 * real CLI with `junction start --cbdir`. The copy in the temporary .crossbar folder differs only
 * in its ports (7000 and 8000 become free ones) and the app's host names (myapp.local becomes a
 * small HTTP server of this test): every key is as the file has it.
 */

const fixture = join(projectRoot, 'test', 'fixtures', 'mission', 'config.json');

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The same document with `replace` applied to every string and number in it. */
function rewrite(value: unknown, replace: (leaf: string | number) => string | number): unknown {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, replace));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rewrite(item, replace)]));
  }
  return typeof value === 'string' || typeof value === 'number' ? replace(value) : value;
}

describe('the mission reference config, unchanged but for ports and host names', () => {
  const home = mkdtempSync(join(tmpdir(), 'junction-mission-'));
  const received: Received[] = [];
  const arrivals = new Arrivals({ stopped: () => undefined, received: () => `the app received ${received.map((r) => `${r.method} ${r.url}`).join(', ') || 'nothing'}` });
  let app: Server;
  let junction: RunningJunction;
  let wsPort: number;
  let webPort: number;
  let subscriber: OpenSession | undefined;

  before(async () => {
    app = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push({ method: request.method!, url: request.url!, headers: request.headers, body });
        arrivals.wake();
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const appBase = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    [wsPort, webPort] = [await freePort(), await freePort()];

    const original = JSON.parse(readFileSync(fixture, 'utf8')) as unknown;
    const adapted = rewrite(original, (leaf) => {
      if (leaf === 7000) return wsPort;
      if (leaf === 8000) return webPort;
      if (typeof leaf !== 'string') return leaf;
      return leaf.replace('127.0.0.1:7000', `127.0.0.1:${wsPort}`).replace(/^http:\/\/(api\.)?myapp\.local/, appBase);
    });
    const cbdir = join(home, '.crossbar');
    mkdirSync(cbdir);
    writeFileSync(join(cbdir, 'config.json'), JSON.stringify(adapted, null, 4));

    junction = RunningJunction.start(['--cbdir', cbdir, '--log-level', 'info'], home);
    await junction.started((line) => line.msg === 'listening' && line.url === `http://0.0.0.0:${webPort}/publish`);
  });

  after(async () => {
    await subscriber?.close();
    junction?.kill();
    await new Promise((resolve) => app?.close(resolve));
    rmSync(home, { recursive: true, force: true });
  });

  it('starts with the notices a Crossbar user should read, and no error', () => {
    assert.ok(junction.lines.some((line) => /workers\[1(?:-\d+)?(?:, [\d-]+)*\]\.options\.pythonpath: .* ignored/.test(line.msg)), 'Python-runtime keys are reported');
    assert.ok(!junction.lines.some((line) => /strict URI rule/.test(line.msg)));
    assert.equal(junction.lines.filter((line) => line.level >= 50).length, 0, 'no error lines');
  });

  it('a curl publish to some-channel on /publish reaches an AutobahnJS subscriber', { skip: skipWithoutDebian('curl') }, async () => {
    subscriber = await openAutobahn(`ws://127.0.0.1:${wsPort}`, 'json', { realm: 'acme-company' });
    let deliver!: (args: unknown[]) => void;
    const event = new Promise<unknown[]>((resolve) => (deliver = resolve));
    await subscriber.session.subscribe('some-channel', (args: unknown[]) => deliver(args));

    const { stdout } = await promisify(execFile)(debianNeed('curl').file, [
      '-sS', '--max-time', '10', '-H', 'Content-Type: application/json',
      '-d', '{"topic": "some-channel", "args": [{"foo": "bar"}]}',
      `http://127.0.0.1:${webPort}/publish`,
    ]);
    assert.ok('id' in (JSON.parse(stdout) as object), `the publisher answers with the publication id: ${stdout}`);
    assert.deepEqual(await event, [{ foo: 'bar' }]);
  });

  it("a page of another site cannot publish or call through the browser (403); the backend's same POST, with no Origin, publishes", async () => {
    const client = await openAutobahn(`ws://127.0.0.1:${wsPort}`, 'json', { realm: 'acme-company' });
    try {
      let deliver!: (first: unknown) => void;
      const firstEvent = new Promise<unknown>((resolve) => (deliver = resolve));
      await client.session.subscribe('csrf-channel', (args: unknown[]) => deliver(args[0]));
      const send = (path: string, body: string, origin?: string): Promise<Response> =>
        // A Blob of no type: no Content-Type at all, so a browser sends it cross-site without a preflight.
        fetch(`http://127.0.0.1:${webPort}/${path}`, { method: 'POST', headers: origin ? { origin } : {}, body: new Blob([body]) });
      for (const [path, body] of [['publish', '{"topic": "csrf-channel", "args": ["forged"]}'], ['call', '{"procedure": "shop.api", "args": ["forged"]}']]) {
        const forged = await send(path!, body!, 'https://evil.example');
        assert.equal(forged.status, 403, path);
        assert.equal(((await forged.json()) as { error: string }).error, 'origin_not_allowed', path);
      }
      const backend = await send('publish', '{"topic": "csrf-channel", "args": ["backend"]}');
      assert.equal(backend.status, 200, await backend.text());
      // One bridge session publishes in order: had the forged publication gone out, it would come first.
      assert.equal(await firstEvent, 'backend');
      assert.ok(!received.some((request) => request.body.includes('forged')), 'the forged call never reached the app behind shop.api');
    } finally {
      await client.close();
    }
  });

  it("a client's publish to breaking-news.politics is POSTed to the forwarder's URL", async () => {
    const client = await openAutobahn(`ws://127.0.0.1:${wsPort}`, 'json', { realm: 'acme-company' });
    try {
      await client.session.publish('breaking-news.politics', ['election'], { source: 'wire' }, { acknowledge: true });
      await client.session.publish('user.42.orders', [{ order: 7 }], {}, { acknowledge: true });
      await arrivals.until(() => received.length >= 2, 'two forwarded POSTs', 10_000);
    } finally {
      await client.close();
    }
    const byUrl = new Map(received.map((request) => [request.url, request]));
    const news = byUrl.get('/hooks/news');
    assert.equal(news?.method, 'POST');
    assert.deepEqual(JSON.parse(news!.body), { args: ['election'], kwargs: { source: 'wire' } });
    assert.deepEqual(JSON.parse(byUrl.get('/hooks/orders')!.body), { args: [{ order: 7 }], kwargs: {} });
  });
});
