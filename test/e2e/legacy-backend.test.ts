/**
 * Issue #5's whole story, end to end through real processes: a legacy PHP app (Debian's php-cli
 * built-in server) with no event loop, `junction start` with a Crossbar-format config file, and
 * AutobahnJS clients.
 *   - the app publishes with one HTTP POST and a subscribed client receives [{"foo": "bar"}];
 *   - a client publishes on breaking-news.politics and the app receives the signed POST;
 *   - a client calls webapp.api and the app's REST endpoint answers {code, content, headers};
 *   - the app goes down, events keep coming, the router restarts, the app comes back: every event
 *     arrives, in order;
 *   - signed publish requests are accepted, tampered and replayed ones refused.
 */
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction } from '../support/cli.js';
import { debianNeed, skipWithoutDebian } from '../support/debian.js';
import { OwnedProcess } from '../support/owned-process.js';
import { waitFor } from '../support/wait.js';
import { spawnOwned } from '../support/processes.js';

const php = debianNeed('php-cli').file;
const appScript = fileURLToPath(new URL('../../../test/fixtures/legacy-app/app.php', import.meta.url));
const FORWARD_SECRET = 'forwarder-signing-secret';
const PUBLISH_KEY = 'app-key';
const PUBLISH_SECRET = 'app-publish-secret';

const allowAll = { call: true, register: true, publish: true, subscribe: true };

function configFile(routerPort: number, appPort: number): object {
  const app = `http://127.0.0.1:${appPort}`;
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{
        name: 'realm1',
        // The topic names have hyphens, which only the loose URI rule accepts.
        options: { uri_check: 'loose' },
        roles: [
          { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: allowAll }] },
          { name: 'backend', permissions: [{ uri: '', match: 'prefix', allow: allowAll }] },
        ],
      }],
      transports: [{
        type: 'web',
        endpoint: { type: 'tcp', port: routerPort, interface: '127.0.0.1' },
        paths: {
          ws: { type: 'websocket' },
          publish: { type: 'publisher', realm: 'realm1', role: 'backend' },
          'signed-publish': {
            type: 'publisher', realm: 'realm1', role: 'backend',
            options: { key: PUBLISH_KEY, secret: PUBLISH_SECRET },
          },
          call: { type: 'caller', realm: 'realm1', role: 'backend' },
        },
      }],
      components: [
        {
          type: 'class', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'realm1', role: 'backend',
          extra: {
            subscriptions: [{ topic: 'breaking-news.', match: 'prefix', url: `${app}/news` }],
            method: 'POST',
            expectedcode: 200,
            signing_secret: FORWARD_SECRET,
            retry: { initial_delay: 50, max_delay: 250, max_attempts: 1000 },
          },
        },
        {
          type: 'class', classname: 'crossbar.bridge.rest.RESTCallee', realm: 'realm1', role: 'backend',
          extra: { procedure: 'webapp.api', baseurl: `${app}/api/` },
        },
      ],
    }],
  };
}

interface LoggedEvent {
  kind: 'event';
  topic: string | null;
  publication: string | null;
  body: { args?: unknown[]; kwargs?: Record<string, unknown> };
  signature_ok: boolean;
}

interface LoggedApiCall {
  kind: 'api';
  method: string;
  path: string;
  query: Record<string, string>;
  x_client: string | null;
  body: string;
}

/** The PHP app, on a fixed port so that it can come back where the router expects it. */
class LegacyApp {
  private process: ChildProcess | undefined;
  constructor(readonly port: number, readonly logFile: string, private readonly publishUrl: string) {}

  async start(): Promise<void> {
    this.process = spawnOwned(php, ['-S', `127.0.0.1:${this.port}`, appScript], {
      env: { ...process.env, APP_LOG: this.logFile, FORWARD_SECRET, JUNCTION_PUBLISH_URL: this.publishUrl, PHP_CLI_SERVER_WORKERS: '4' },
      stdio: 'ignore',
      // Its own process group: the built-in server forks workers, and stop() must end them too.
      detached: true,
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await fetch(`http://127.0.0.1:${this.port}/ping`);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error('the PHP app did not start');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    OwnedProcess.of(child, 'the PHP app').signalGroupIfRunning('SIGKILL');
    await exited;
  }

  entries(): (LoggedEvent | LoggedApiCall)[] {
    if (!existsSync(this.logFile)) return [];
    return readFileSync(this.logFile, 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
  }

  events(): LoggedEvent[] {
    return this.entries().filter((entry): entry is LoggedEvent => entry.kind === 'event');
  }
}

/** Crossbar's signed-request recipe: URL-safe base64 of HMAC-SHA256 over key, timestamp, seq, nonce and body. */
function signedQuery(body: string, seq: number, nonce: number, timestamp = new Date().toISOString()): string {
  const hmac = createHmac('sha256', PUBLISH_SECRET);
  for (const part of [PUBLISH_KEY, timestamp, String(seq), String(nonce), body]) hmac.update(part);
  const signature = hmac.digest('base64url');
  const padded = signature + '='.repeat((4 - (signature.length % 4)) % 4);
  return new URLSearchParams({ key: PUBLISH_KEY, timestamp, seq: String(seq), nonce: String(nonce), signature: padded }).toString();
}

describe('a legacy REST backend joins the real-time world (issue #5, end to end)', { skip: skipWithoutDebian('php-cli') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-legacy-'));
  const configPath = join(dir, 'config.json');
  const dataDir = join(dir, 'data');
  let routerPort = 0;
  let router: RunningJunction;
  let app: LegacyApp;
  let client: OpenSession;
  let base = '';

  const startRouter = async (): Promise<string> => {
    router = RunningJunction.start(['--config', configPath, '--data-dir', dataDir]);
    return router.url();
  };
  const stopRouter = async (): Promise<void> => {
    router.child.kill('SIGTERM');
    assert.equal(await router.waitForExit(), 0);
  };

  before(async () => {
    routerPort = await freePort();
    const appPort = await freePort();
    base = `http://127.0.0.1:${routerPort}`;
    writeFileSync(configPath, JSON.stringify(configFile(routerPort, appPort), null, 2));
    app = new LegacyApp(appPort, join(dir, 'app.log'), `${base}/publish`);
    await app.start();
    client = await openAutobahn(await startRouter());
  });

  after(async () => {
    await client?.close().catch(() => {});
    router?.kill();
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the app publishes with one HTTP POST and a subscribed AutobahnJS client receives it', async () => {
    let deliver!: (args: unknown[]) => void;
    const received = new Promise<unknown[]>((resolve) => (deliver = resolve));
    await client.session.subscribe('some-channel', (args: unknown[]) => deliver(args));
    const reply = await (await fetch(`http://127.0.0.1:${app.port}/publish-now?topic=some-channel`)).json() as { status: string; reply: { id: number } };
    assert.match(reply.status, / 200 /);
    assert.ok(Number.isInteger(reply.reply.id) && reply.reply.id > 0, `publication id in ${JSON.stringify(reply)}`);
    assert.deepEqual(await received, [{ foo: 'bar' }]);
  });

  it('a client publishes on breaking-news.politics and the app receives the signed POST', async () => {
    await client.session.publish('breaking-news.politics', ['vote tonight'], { seats: 650 }, { acknowledge: true });
    await waitFor(() => app.events().length >= 1, 'the forwarded event', 10_000);
    const [event] = app.events();
    assert.equal(event!.topic, 'breaking-news.politics');
    assert.deepEqual(event!.body, { args: ['vote tonight'], kwargs: { seats: 650 } });
    assert.equal(event!.signature_ok, true, 'the app verified the HMAC signature');
  });

  it('a client calls webapp.api and the app endpoint answers {code, content, headers}', async () => {
    const result = await client.session.call('webapp.api', [], {
      method: 'POST', url: 'orders', params: { page: '2' }, headers: { 'X-Client': 'browser-7' }, body: 'ordered=3',
    });
    const call = app.entries().find((entry): entry is LoggedApiCall => entry.kind === 'api')!;
    assert.equal(call.method, 'POST');
    assert.equal(call.path, '/api/orders');
    assert.deepEqual(call.query, { page: '2' });
    assert.equal(call.x_client, 'browser-7');
    assert.equal(call.body, 'ordered=3');
    assert.equal(result.code, 201);
    assert.deepEqual(JSON.parse(result.content), { created: true, path: '/api/orders' });
    const header = Object.entries(result.headers as Record<string, unknown>).find(([name]) => name.toLowerCase() === 'x-app');
    assert.ok(header && JSON.stringify(header[1]).includes('legacy'), `X-App header in ${JSON.stringify(result.headers)}`);
  });

  it('the app is down while events keep coming, across a router restart: everything arrives, in order', async () => {
    const before = app.events().length;
    await app.stop();
    for (let n = 1; n <= 5; n++) {
      await client.session.publish('breaking-news.politics', [`update ${n}`], {}, { acknowledge: true });
    }
    await client.close();
    await stopRouter();
    client = await openAutobahn(await startRouter());
    for (let n = 6; n <= 8; n++) {
      await client.session.publish('breaking-news.politics', [`update ${n}`], {}, { acknowledge: true });
    }
    await app.start();
    await waitFor(() => app.events().length >= before + 8, 'eight delivered events', 20_000);
    const delivered = app.events().slice(before).map((event) => event.body.args?.[0]);
    assert.deepEqual(delivered, [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `update ${n}`));
    assert.ok(app.events().every((event) => event.signature_ok));
  });

  it('signed publish requests are accepted; tampered and replayed ones are refused', async () => {
    const url = `${base}/signed-publish`;
    const body = JSON.stringify({ topic: 'some-channel', args: ['signed'] });
    const nonce = randomBytes(4).readUInt32BE();
    const query = signedQuery(body, 1, nonce);
    const post = (search: string, text: string) =>
      fetch(`${url}?${search}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text });

    const accepted = await post(query, body);
    assert.equal(accepted.status, 200, await accepted.clone().text());
    const replayed = await post(query, body);
    assert.equal(replayed.status, 401);
    const tampered = await post(signedQuery(body, 2, nonce + 1), body.replace('signed', 'forged'));
    assert.equal(tampered.status, 401);
    const unsigned = await post('', body);
    assert.equal(unsigned.status, 401);
    for (const refused of [replayed, tampered, unsigned]) {
      const answer = await refused.json() as { error?: string; message?: string };
      assert.ok(typeof answer.message === 'string' && answer.message.length > 0, 'a refusal says what was wrong');
    }
  });

  it('bad requests to the publisher get a precise 4xx', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${base}/publish`, { method: 'POST', headers: { 'Content-Type': type }, body });
    const cases: [Response, number, RegExp][] = [
      [await post('{not json'), 400, /json/i],
      [await post('{"args": [1]}'), 400, /topic/i],
      [await post('{"topic": "bad..uri"}'), 400, /uri/i],
      [await post('{"topic": "a.b"}', 'text/plain'), 415, /content.type|json/i],
      [await fetch(`${base}/publish`), 405, /post/i],
    ];
    for (const [response, status, message] of cases) {
      assert.equal(response.status, status);
      const answer = await response.json() as { message: string };
      assert.match(answer.message, message);
    }
  });
});
