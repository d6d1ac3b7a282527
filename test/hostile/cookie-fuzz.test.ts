import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import autobahn from 'autobahn';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import { loadCbdir } from '../../src/config/load.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { projectRoot } from '../support/cli.js';
import { checkFuzz, CrashWatch, fuzzSeed, fuzzTimeout, gauges, gaugesBackTo } from '../support/fuzz.js';
import { startTestNode } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';

/**
 * Hostile Cookie headers against cookie authentication (auth/cookie, transport/cookie-header.ts):
 * fuzzed cookie values (ours, forged, quoted, %-escaped, huge), many cookies, repeated names,
 * huge headers, foreign Origins, and a logout storm over many connections carrying one cookie.
 * A connection is signed in by cookie exactly when the first cookie of its name is a bound one and
 * its page is not another site's; otherwise its other method is asked for (never an error); the
 * node logs no error and never the cookie's value; sessions come back to none.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-cookie-fuzz-'));
after(() => rmSync(home, { recursive: true, force: true }));

const sessionGauges = ['junction_sessions'] as const;

describe(`cookie authentication under hostile Cookie headers (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let watch: CrashWatch;
  let url: string;
  /** A cookie value bound to joe (signed in with wampcra). */
  let bound: string;

  before(async () => {
    const cbdir = join(home, '.crossbar');
    mkdirSync(cbdir);
    copyFileSync(join(projectRoot, 'test', 'fixtures', 'crossbar-configs', 'cookie-authentication.json'), join(cbdir, 'config.json'));
    node = await startTestNode(await loadCbdir(cbdir, { env: {} }), { log });
    watch = new CrashWatch(log);
    url = node.urls[0]!;
    const first = await RawClient.open(url, ['wamp.2.json']);
    bound = first.upgradeHeaders['set-cookie']![0]!.split(';')[0]!.split('=')[1]!;
    assert.equal((await signIn(first, ['wampcra']))[0], 2);
    first.close();
  });
  after(async () => {
    watch.stop();
    await node.stop();
  });

  /** The sessions gauges as they are once every client has gone (the router's own sessions stay). */
  const withoutClients = (): Record<string, number> =>
    Object.fromEntries(Object.entries(gauges(node.metrics.exposition(), sessionGauges)).filter(([series]) => !series.includes('origin="client"')));

  /** HELLO as joe with `authmethods`; answers a wampcra CHALLENGE; resolves with WELCOME or ABORT. */
  async function signIn(client: RawClient, authmethods: string[]): Promise<unknown[]> {
    client.send([1, 'shop', { roles: { caller: {} }, authmethods, authid: 'joe' }]);
    const reply = await client.next();
    if (reply[0] !== 4) return reply;
    client.send([5, autobahn.auth_cra.sign('123456', (reply[2] as { challenge: string }).challenge), {}]);
    return client.next();
  }

  const cookieValueArb = fc.oneof(
    fc.constant('{bound}'), fc.constant('{bound}'),
    fc.constantFrom('"{bound}"', '{bound}%', '%7Bbound%7D', 'A'.repeat(22), 'A'.repeat(65), '', '"', '""', '%', '%zz', '=', 'a=b', '\\', 'x'.repeat(4_000)),
    fc.string({ maxLength: 30 }).map((text) => text.replace(/[^\x21-\x7e]/g, '').replaceAll(';', '')),
    fc.stringMatching(/^[A-Za-z0-9_+/-]{22,64}$/),
  );
  const cookiePart = fc.record({
    name: fc.constantFrom('cbtid', 'cbtid', 'cbtid', ' cbtid', 'CBTID', 'cbtid2', 'other', '', '$Version'),
    value: cookieValueArb,
    separator: fc.constantFrom('; ', ';', ' ; ', ';;', ', '),
  });
  const visit = fc.record({
    parts: fc.array(cookiePart, { maxLength: 5 }),
    origin: fc.option(fc.constantFrom('https://evil.example', 'null', '{own}', 'not a url'), { nil: undefined }),
    cookieOnly: fc.boolean(),
  });

  /** The cookie a Cookie header names cbtid first (RFC 6265: pairs split at ";", names trimmed), unquoted and %-decoded. */
  function expectedToken(header: string): string | undefined {
    const pair = header.split(';').find((part) => part.includes('=') && part.slice(0, part.indexOf('=')).trim() === 'cbtid');
    if (pair === undefined) return undefined;
    let value = pair.slice(pair.indexOf('=') + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }

  it('every Cookie header signs in by cookie exactly when its first cbtid is the bound one from this site', { timeout: fuzzTimeout(90_000) }, async () => {
    const baseline = withoutClients();
    await checkFuzz('cookie headers', fc.asyncProperty(visit, async ({ parts, origin, cookieOnly }) => {
      const header = parts.map((part, index) => `${index === 0 ? '' : part.separator}${part.name}=${part.value.replaceAll('{bound}', bound)}`).join('');
      const host = new URL(url).host;
      const headers: Record<string, string> = header === '' ? {} : { cookie: header };
      if (origin !== undefined) headers.origin = origin === '{own}' ? `http://${host}` : origin;
      const client = await RawClient.open(url, ['wamp.2.json'], { headers });
      try {
        const reply = await signIn(client, cookieOnly ? ['cookie'] : ['cookie', 'wampcra']);
        const byCookie = expectedToken(header) === bound && (origin === undefined || origin === '{own}');
        const what = `Cookie: ${header.slice(0, 300)} Origin: ${String(origin)} -> ${JSON.stringify(reply).slice(0, 300)}`;
        if (byCookie) {
          assert.equal(reply[0], 2, what);
          assert.equal((reply[2] as { authprovider: string }).authprovider, 'cookie', what);
          assert.equal(client.upgradeHeaders['set-cookie'], undefined, `a live cookie was replaced: ${what}`);
        } else if (cookieOnly) {
          assert.deepEqual([reply[0], reply[2]], [3, 'wamp.error.no_auth_method'], what);
        } else {
          assert.equal(reply[0], 2, what);
          assert.equal((reply[2] as { authmethod: string }).authmethod, 'wampcra', what);
        }
      } finally {
        client.close();
      }
      watch.assertQuiet('fuzzed Cookie headers');
    }), 80);
    assert.ok(!log.text().includes(bound), 'the cookie\'s value reached the log');
    await gaugesBackTo(() => node.metrics.exposition(), baseline, sessionGauges);
  });

  it('a huge Cookie header is refused 431; thousands of cookies in one header are read, the bound one found', { timeout: 30_000 }, async () => {
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, ['wamp.2.json'], { headers: { cookie: `cbtid=${bound}; pad=${'p'.repeat(64 * 1024)}` } });
      ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    assert.equal(refused, 431);
    const many = Array.from({ length: 1_500 }, (_, index) => `c${index}=v`).join('; ');
    const client = await RawClient.open(url, ['wamp.2.json'], { headers: { cookie: `${many}; cbtid=${bound}` } });
    try {
      const welcome = await signIn(client, ['cookie']);
      assert.equal((welcome[2] as { authprovider: string }).authprovider, 'cookie', JSON.stringify(welcome));
    } finally {
      client.close();
    }
    watch.assertQuiet('huge Cookie headers');
  });

  it('a logout among 30 connections carrying one cookie closes every other one, and the cookie signs nobody in again', { timeout: 30_000 }, async () => {
    const baseline = withoutClients();
    const first = await RawClient.open(url, ['wamp.2.json']);
    const cookie = first.upgradeHeaders['set-cookie']![0]!.split(';')[0]!;
    assert.equal((await signIn(first, ['wampcra']))[0], 2);
    const others = await Promise.all(Array.from({ length: 30 }, async () => {
      const client = await RawClient.open(url, ['wamp.2.json'], { headers: { cookie } });
      assert.equal((await signIn(client, ['cookie']))[0], 2);
      return client;
    }));
    first.send([6, {}, 'wamp.close.logout']);
    await Promise.all(others.map((client) => client.closed));
    first.close();
    const after = await RawClient.open(url, ['wamp.2.json'], { headers: { cookie } });
    try {
      const reply = await signIn(after, ['cookie']);
      assert.deepEqual([reply[0], reply[2]], [3, 'wamp.error.no_auth_method'], `the logged-out cookie signed in: ${JSON.stringify(reply)}`);
    } finally {
      after.close();
    }
    await gaugesBackTo(() => node.metrics.exposition(), baseline, sessionGauges);
    watch.assertQuiet('the logout storm');
  });
});
