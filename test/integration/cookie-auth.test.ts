import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import autobahn from 'autobahn';
import { WebSocket } from 'ws';
import { loadCbdir } from '../../src/config/load.js';
import type { JunctionConfig } from '../../src/config/model.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { refusal, signIn } from '../auth/support/sign-in.js';
import { projectRoot } from '../support/cli.js';
import { RawClient } from '../support/raw-client.js';
import { waitFor } from '../support/wait.js';

/**
 * Crossbar's cookie authentication, run from test/fixtures/crossbar-configs/cookie-authentication.json
 * (a websocket transport with cookie tracking, ticket, wampcra and cookie): a first connection gets
 * the cookie and signs in with wampcra; later connections that bring it sign in by cookie.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-cookie-auth-'));
after(() => rmSync(home, { recursive: true, force: true }));

const fixtureFile = join(projectRoot, 'test', 'fixtures', 'crossbar-configs', 'cookie-authentication.json');

/** A node folder with the fixture's config; `prepare` may add files or change the config first. */
async function fixture(prepare: (cbdir: string) => void = (cbdir) => copyFileSync(fixtureFile, join(cbdir, 'config.json'))): Promise<JunctionConfig> {
  const cbdir = join(mkdtempSync(join(home, 'node-')), '.crossbar');
  mkdirSync(cbdir);
  prepare(cbdir);
  return loadCbdir(cbdir, { env: {} });
}

const log = new CaptureLog();
let node: RunningNode;
let url: string;
before(async () => {
  node = await startNode(await fixture(), { log, shutdownGraceMs: 100, dataDir: join(home, 'data') });
  url = node.urls[0]!;
});
after(() => node.stop());

const craAnswer = (secret: string) => (_session: unknown, method: string, extra: Record<string, unknown>) => {
  assert.equal(method, 'wampcra');
  return autobahn.auth_cra.sign(secret, extra.challenge);
};

/** Opens a raw connection (headers as given) and returns it with the upgrade response's Set-Cookie. */
async function rawConnection(headers: Record<string, string> = {}): Promise<{ client: RawClient; setCookie: string | undefined }> {
  const client = await RawClient.open(url, ['wamp.2.json'], { headers });
  return { client, setCookie: client.upgradeHeaders['set-cookie']?.[0] };
}

/** HELLO with wampcra as joe on a raw connection; resolves with WELCOME.Details. */
async function wampcraAsJoe(client: RawClient, authmethods = ['cookie', 'wampcra']): Promise<Record<string, unknown>> {
  client.send([1, 'shop', { roles: { caller: {} }, authmethods, authid: 'joe' }]);
  const challenge = await client.next();
  assert.equal(challenge[0], 4, `expected CHALLENGE, got ${JSON.stringify(challenge)}`);
  const extra = challenge[2] as { challenge: string };
  client.send([5, autobahn.auth_cra.sign('123456', extra.challenge), {}]);
  const welcome = await client.next();
  assert.equal(welcome[0], 2, `expected WELCOME, got ${JSON.stringify(welcome)}`);
  return welcome[2] as Record<string, unknown>;
}

/** The cookie's name=value from a Set-Cookie line. */
function cookieOf(setCookie: string | undefined): string {
  assert.ok(setCookie, 'the upgrade response set a cookie');
  return setCookie.split(';')[0]!;
}

/** A first connection signed in with wampcra: its cookie, now bound to joe. */
async function boundCookie(): Promise<string> {
  const { client, setCookie } = await rawConnection();
  await wampcraAsJoe(client);
  client.close();
  return cookieOf(setCookie);
}

/** AutobahnJS with this Cookie header (and Origin), asking for cookie then wampcra; wampcra answers when challenged. */
function autobahnWithCookie(cookie: string, extraHeaders: Record<string, string> = {}, authmethods = ['cookie', 'wampcra']) {
  let challenged = false;
  const answer = craAnswer('123456');
  return {
    signedIn: signIn(url, {
      realm: 'shop',
      authmethods,
      authid: 'joe',
      onchallenge: (session, method, extra) => {
        challenged = true;
        return answer(session, method, extra);
      },
      headers: { Cookie: cookie, ...extraHeaders },
    }),
    challenged: () => challenged,
  };
}

describe('cookie authentication (Crossbar\'s cbtid) with AutobahnJS and raw connections', () => {
  it('the first connection gets the cookie in the upgrade response and signs in with wampcra; WELCOME is wampcra\'s', async () => {
    const { client, setCookie } = await rawConnection();
    assert.match(setCookie ?? '', /^cbtid=[A-Za-z0-9_-]{24}; Max-Age=604800; Path=\/; HttpOnly; SameSite=Lax$/);
    const details = await wampcraAsJoe(client);
    assert.equal(details.authmethod, 'wampcra');
    assert.equal(details.authprovider, 'static');
    client.close();
  });

  it('the next connection with the cookie signs in by cookie, as joe with the same role, without a challenge, and gets no new cookie', async () => {
    const cookie = await boundCookie();
    const attempt = autobahnWithCookie(cookie);
    const { details, close } = await attempt.signedIn;
    assert.equal(attempt.challenged(), false);
    assert.equal(details.authid, 'joe');
    assert.equal(details.authrole, 'customer');
    assert.equal(details.authmethod, 'wampcra');
    assert.equal(details.authprovider, 'cookie');
    await close();
    const again = await rawConnection({ Cookie: cookie });
    assert.equal(again.setCookie, undefined);
    again.client.close();
  });

  it('a forged or unknown cookie falls back to wampcra and is replaced', async () => {
    const forged = 'cbtid=' + 'x'.repeat(24);
    const attempt = autobahnWithCookie(forged);
    const { details, close } = await attempt.signedIn;
    assert.equal(attempt.challenged(), true);
    assert.equal(details.authprovider, 'static');
    await close();
    const replaced = await rawConnection({ Cookie: forged });
    assert.notEqual(cookieOf(replaced.setCookie), forged);
    replaced.client.close();
  });

  it('asking for cookie alone without a bound cookie is refused (no_auth_method)', async () => {
    const refused = await refusal(autobahnWithCookie('cbtid=' + 'y'.repeat(24), {}, ['cookie']).signedIn);
    assert.equal(refused.reason, 'wamp.error.no_auth_method');
  });

  it('a page of another site (Origin not this host, not listed) is not signed in by cookie: it falls back; this host\'s page is', async () => {
    const cookie = await boundCookie();
    const host = new URL(url).host;
    const crossSite = autobahnWithCookie(cookie, { Origin: 'https://evil.example' });
    const fellBack = await crossSite.signedIn;
    assert.equal(crossSite.challenged(), true);
    assert.equal(fellBack.details.authprovider, 'static');
    await fellBack.close();
    const sameSite = autobahnWithCookie(cookie, { Origin: `http://${host}` });
    const byCookie = await sameSite.signedIn;
    assert.equal(byCookie.details.authprovider, 'cookie');
    await byCookie.close();
  });

  it('leaving with wamp.close.logout unbinds the cookie and closes the other connections that carry it', async () => {
    const cookie = await boundCookie();
    const other = await autobahnWithCookie(cookie).signedIn;
    const { client } = await rawConnection({ Cookie: cookie });
    client.send([1, 'shop', { roles: { caller: {} }, authmethods: ['cookie'] }]);
    assert.equal((await client.next())[0], 2);
    client.send([6, {}, 'wamp.close.logout']);
    assert.deepEqual(await client.next(), [6, {}, 'wamp.close.normal']);
    await other.closed;
    const refused = await refusal(autobahnWithCookie(cookie, {}, ['cookie']).signedIn);
    assert.equal(refused.reason, 'wamp.error.no_auth_method');
    client.close();
  });

  it('counts sign-ins by cookie and skips by reason; warns about allowed_origins "*"; the cookie\'s value never reaches the log', async () => {
    const cookie = await boundCookie();
    await (await autobahnWithCookie(cookie).signedIn).close();
    const metrics = node.metrics.exposition();
    assert.match(metrics, /junction_sign_ins_total\{method="cookie",outcome="welcome"\} [1-9]/);
    assert.match(metrics, /junction_cookie_skipped_total\{path="\/",reason="cross_site",transport="transport0"\} [1-9]/);
    assert.match(metrics, /junction_cookie_skipped_total\{path="\/",reason="unknown",transport="transport0"\} [1-9]/);
    assert.match(metrics, /junction_cookie_logouts_total\{path="\/",transport="transport0"\} 1/);
    assert.match(metrics, /junction_cookie_store_entries\{path="\/",transport="transport0"\} [1-9]/);
    await waitFor(() => log.lines.length > 0, 'log lines');
    assert.ok(log.lines.some((line) => line.level === 'warn' && line.fields.code === 'config.notice.cookie_any_origin'), 'allowed_origins "*" is warned about at start');
    const token = cookie.split('=')[1]!;
    assert.ok(!log.text().includes(token), 'the token is in the log');
  });
});

describe('cookie authentication: max_age', () => {
  it('a cookie past its max_age falls back to wampcra and is replaced', async () => {
    const config = await fixture();
    const cookieAuth = config.listeners[0]!.paths['/'] as { cookieAuth: { maxAgeSeconds: number } };
    cookieAuth.cookieAuth.maxAgeSeconds = 1;
    const short = await startNode(config, { log: new CaptureLog(), shutdownGraceMs: 100, dataDir: join(home, 'data-short') });
    try {
      const shortUrl = short.urls[0]!;
      const first = new RawClient(new WebSocket(shortUrl, ['wamp.2.json']));
      let setCookie: string | undefined;
      first.ws.once('upgrade', (response: IncomingMessage) => (setCookie = response.headers['set-cookie']?.[0]));
      await new Promise((resolve) => first.ws.once('open', resolve));
      assert.match(setCookie ?? '', /Max-Age=1;/);
      await wampcraAsJoe(first);
      first.close();
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      let challenged = false;
      const late = await signIn(shortUrl, {
        realm: 'shop', authmethods: ['cookie', 'wampcra'], authid: 'joe', headers: { Cookie: cookieOf(setCookie) },
        onchallenge: (session, method, extra) => {
          challenged = true;
          return craAnswer('123456')(session, method, extra);
        },
      });
      assert.equal(challenged, true);
      assert.equal(late.details.authprovider, 'static');
      await late.close();
    } finally {
      await short.stop();
    }
  });
});

describe('cookie authentication: config reloads', () => {
  it('a reload that rebuilds the path keeps the memory store: the cookie still signs in, and a logout reaches the connections of the handler before', async () => {
    const config = await fixture();
    const reloading = await startNode(config, { log: new CaptureLog(), shutdownGraceMs: 100, dataDir: join(home, 'data-reload') });
    try {
      const target = reloading.urls[0]!;
      const first = await RawClient.open(target, ['wamp.2.json']);
      await wampcraAsJoe(first);
      const cookie = cookieOf(first.upgradeHeaders['set-cookie']?.[0]);
      const next = await fixture();
      const rebuilt = next.listeners[0]!.paths['/'] as { cookieAuth: { maxAgeSeconds: number } };
      rebuilt.cookieAuth.maxAgeSeconds = 3600;
      const report = await reloading.reload(next);
      assert.ok(report.applied.some((line) => line.includes('rebuilt')), `the path was rebuilt: ${JSON.stringify(report)}`);

      const after = await RawClient.open(target, ['wamp.2.json'], { headers: { Cookie: cookie } });
      assert.equal(after.upgradeHeaders['set-cookie'], undefined, 'the cookie is still known');
      after.send([1, 'shop', { roles: { caller: {} }, authmethods: ['cookie', 'wampcra'], authid: 'joe' }]);
      const welcome = await after.next();
      assert.equal(welcome[0], 2);
      assert.equal((welcome[2] as { authprovider: string }).authprovider, 'cookie');
      after.send([6, {}, 'wamp.close.logout']);
      await after.next((message) => message[0] === 6);
      await waitFor(() => first.ws.readyState === WebSocket.CLOSED, 'the connection on the handler before the reload closed');
      after.close();
    } finally {
      await reloading.stop();
    }
  });
});

describe('cookie authentication: Secure', () => {
  it('the cookie is Secure when a trusted proxy says the client came over https, not when an untrusted peer says so', async () => {
    const config = await fixture();
    config.listeners[0]!.trustedProxies = ['127.0.0.1'];
    const proxied = await startNode(config, { log: new CaptureLog(), shutdownGraceMs: 100, dataDir: join(home, 'data-proxied') });
    try {
      const setCookieOf = async (target: string): Promise<string | undefined> => {
        const ws = new WebSocket(target, ['wamp.2.json'], { headers: { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7' } });
        const setCookie = await new Promise<string | undefined>((resolve, reject) => {
          ws.once('upgrade', (response: IncomingMessage) => resolve(response.headers['set-cookie']?.[0]));
          ws.once('error', reject);
        });
        ws.terminate();
        return setCookie;
      };
      assert.match(await setCookieOf(proxied.urls[0]!) ?? '', /; HttpOnly; SameSite=Lax; Secure$/);
      assert.doesNotMatch(await setCookieOf(url) ?? '', /Secure/);
    } finally {
      await proxied.stop();
    }
  });
});

describe('cookie authentication: Crossbar\'s cookie file', () => {
  it('a cookie bound under Crossbar (a line of its cookies.dat) signs a raw client in by cookie after the switch', async () => {
    // As Crossbar makes them: standard base64, with + and /.
    const value = 'Cr0ssbar+Cookie/Value+24';
    const crossbarLines = [
      { id: value, created: new Date(Date.now() - 3_600_000).toISOString(), max_age: 604800, authid: null, authrole: null, authmethod: null, authrealm: null, authextra: null },
      { id: value, modified: new Date(Date.now() - 3_600_000).toISOString(), max_age: 604800, authid: 'joe', authrole: 'customer', authmethod: 'wampcra', authrealm: 'shop', authextra: null },
    ];
    const config = await fixture((cbdir) => {
      writeFileSync(join(cbdir, 'config.json'), readFileSync(fixtureFile, 'utf8').replace('{"type": "memory"}', '{"type": "file", "filename": "cookies.dat"}'));
      writeFileSync(join(cbdir, 'cookies.dat'), `${crossbarLines.map((line) => JSON.stringify(line)).join('\n')}\n{"id": "cut short\n`);
    });
    const switched = await startNode(config, { log: new CaptureLog(), shutdownGraceMs: 100, dataDir: join(home, 'data-switched') });
    try {
      const client = await RawClient.open(switched.urls[0]!, ['wamp.2.json'], { headers: { Cookie: `cbtid=${value}` } });
      assert.equal(client.upgradeHeaders['set-cookie'], undefined, 'the imported cookie was replaced');
      client.send([1, 'shop', { roles: { caller: {} }, authmethods: ['cookie'] }]);
      const welcome = await client.next();
      assert.equal(welcome[0], 2, `expected WELCOME, got ${JSON.stringify(welcome)}`);
      const details = welcome[2] as Record<string, unknown>;
      assert.equal(details.authid, 'joe');
      assert.equal(details.authrole, 'customer');
      assert.equal(details.authprovider, 'cookie');
      client.close();
    } finally {
      await switched.stop();
    }
  });
});
