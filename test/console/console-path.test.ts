/**
 * The console path service over plain HTTP and WebSocket (no browser): the page and its headers,
 * the WebSocket's guards, the junction.* procedures as an operator and as a read-only role, and
 * the page's size budget.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { connect, WampError, type Session } from '../../src/client/index.js';
import { MAX_LISTING_BYTES, MAX_URIS_PER_SESSION } from '../../src/router/meta/inventory.js';
import { consoleSecurityHeaders } from '../../src/node/web/console-path.js';
import { projectRoot } from '../support/cli.js';
import { forwardedTopic, forwarderApiKey, forwarderToken, operator, programPassword, programToken, startConsoleNode, viewer, type ConsoleNode } from './fixture.js';

/** The console's page, script and styles together, gzipped, stay under this (scripts/build-console.mjs measures them). */
export const CONSOLE_BUDGET_GZIPPED = 60 * 1024;

describe('the console path service', { timeout: 30_000 }, () => {
  let running: ConsoleNode;
  let base: string;
  const sessions: Session[] = [];

  before(async () => {
    running = await startConsoleNode();
    base = running.base;
  });

  after(async () => {
    for (const session of sessions) await session.leave().catch(() => undefined);
    await running?.stop();
  });

  async function join(path: string, auth: Parameters<typeof connect>[0]['auth'], realm = 'realm1'): Promise<Session> {
    const session = await connect({ url: `${base.replace('http', 'ws')}${path}`, realm, auth, reconnect: false });
    sessions.push(session);
    return session;
  }

  const asOperator = () => join('/console/ws', { method: 'ticket', authid: operator.authid, ticket: operator.ticket });
  const asViewer = () => join('/console/ws', { method: 'wampcra', authid: viewer.authid, secret: viewer.secret });

  it('serves its page with the realm and sign-in methods, under a strict Content-Security-Policy and without inline code', async () => {
    const response = await fetch(`${base}/console`);
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(directive), `${directive} in ${csp}`);
    }
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const page = await response.text();
    assert.match(page, /<meta name="junction-console" content="\{&quot;realm&quot;:&quot;realm1&quot;,&quot;methods&quot;:\[&quot;ticket&quot;,&quot;wampcra&quot;\],&quot;ws&quot;:&quot;\/console\/ws&quot;,&quot;max_message_size&quot;:1048576\}">/);
    assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/, 'inline script or style');
    assert.doesNotMatch(page, /https?:\/\//, 'the page loads nothing from elsewhere');
    assert.match(page, /<script type="module" src="\/console\/app.js">/);

    const script = await fetch(`${base}/console/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    const missing = await fetch(`${base}/console/secrets.txt`);
    assert.equal(missing.status, 404);
    assert.ok(missing.headers.get('content-security-policy'));
    const post = await fetch(`${base}/console`, { method: 'POST' });
    assert.equal(post.status, 405);
    for (const [name, value] of Object.entries(consoleSecurityHeaders)) assert.equal(post.headers.get(name), value, `${name} on a 405`);
  });

  it("keeps the page's total size within its budget", () => {
    const sizes = JSON.parse(readFileSync(joinPath(projectRoot, 'dist', 'console', 'sizes.json'), 'utf8')) as { gzipped: number };
    assert.ok(sizes.gzipped > 0);
    assert.ok(sizes.gzipped <= CONSOLE_BUDGET_GZIPPED, `the console is ${sizes.gzipped} bytes gzipped, over its budget of ${CONSOLE_BUDGET_GZIPPED}`);
  });

  it("refuses WebSocket connections from another site's page, and elsewhere below its path", async () => {
    const status = (path: string, origin?: string) => new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${base.replace('http', 'ws')}${path}`, ['wamp.2.json'], origin ? { origin } : {});
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('open', () => {
        socket.close();
        resolve(101);
      });
      socket.on('error', reject);
    });
    assert.equal(await status('/console/ws', 'http://evil.example'), 403);
    assert.equal(await status('/console/ws', base), 101);
    assert.equal(await status('/console/other'), 404);
  });

  it('signs in to its own realm only, with the methods it offers', async () => {
    await assert.rejects(join('/console/ws', { method: 'ticket', authid: operator.authid, ticket: operator.ticket }, 'other'), /no_such_realm/);
    await assert.rejects(join('/console/ws', { method: 'ticket', authid: operator.authid, ticket: 'wrong' }), WampError);
    await assert.rejects(join('/console/ws', { method: 'anonymous' }), WampError);
  });

  it('lists sessions, subscriptions and registrations with what the meta API leaves out', async () => {
    const console = await asOperator();
    const app = await join('/ws', { method: 'anonymous' });
    await app.subscribe('chat.', () => undefined, { match: 'prefix' });
    await app.register('com.example.add', (args) => (args[0] as number) + (args[1] as number));

    const sessions = (await console.call('junction.session.list')).args[0] as { total: number; items: Record<string, any>[] };
    const listed = sessions.items.find((item) => item.session === app.id)!;
    assert.ok(listed, JSON.stringify(sessions));
    assert.equal(listed.authrole, 'anonymous');
    assert.equal(listed.transport.type, 'websocket');
    assert.match(listed.transport.peer, /^tcp4:127\.0\.0\.1:\d+$/);
    assert.ok(Date.now() - Date.parse(listed.joined_at) < 60_000);
    assert.deepEqual(listed.subscriptions, ['chat.']);
    assert.deepEqual(listed.registrations, ['com.example.add']);
    assert.ok(sessions.items.every((item) => !String(item.authrole).startsWith('trusted')), 'the router\'s own sessions are not listed');

    const subscriptions = (await console.call('junction.subscription.list')).args[0] as { items: Record<string, any>[] };
    assert.deepEqual(subscriptions.items.filter((item) => item.uri === 'chat.').map(({ match, subscribers }) => ({ match, subscribers })), [{ match: 'prefix', subscribers: 1 }]);
    assert.ok(subscriptions.items.every((item) => !String(item.uri).startsWith('wamp.')));
    const registrations = (await console.call('junction.registration.list')).args[0] as { items: Record<string, any>[] };
    assert.deepEqual(registrations.items.find((item) => item.uri === 'com.example.add')?.callees, [app.id]);
    await assert.rejects(console.call('junction.session.list', [], { limit: 0 }), /limit must be an integer from 1 to 1000/);
    // A mistyped keyword is refused, not ignored (which would list up to 1,000 sessions).
    for (const procedure of ['junction.session.list', 'junction.subscription.list', 'junction.registration.list']) {
      await assert.rejects(console.call(procedure, [], { limitt: 1 }), /unknown keyword argument "limitt" \(expected limit\)/);
    }
    await assert.rejects(console.call('junction.node.stats', [], { verbose: true }), /unknown keyword argument "verbose" \(this procedure takes none\)/);
    await assert.rejects(console.call('junction.config.get', [], { unmasked: true }), /unknown keyword argument "unmasked"/);
    const one = (await console.call('junction.session.list', [], { limit: 1 })).args[0] as { total: number; truncated: boolean; items: unknown[] };
    assert.equal(one.items.length, 1);
    assert.equal(one.truncated, one.total > 1);

    await app.publish('chat.room1', ['counted'], {}, { acknowledge: true });
    const stats = (await console.call('junction.node.stats')).args[0] as Record<string, any>;
    assert.ok(stats.publications >= 1 && stats.calls >= 1, JSON.stringify(stats));
    assert.equal(stats.realm, 'realm1');
    assert.equal(stats.registrations, registrations.items.length);
    // The overview's count is the Sessions page's (it counted client sessions only, so the bridge's were missing).
    assert.equal(stats.sessions, ((await console.call('junction.session.list')).args[0] as { total: number }).total);
    assert.ok(stats.messages_received > 0 && stats.memory.rss > 0 && stats.uptime_seconds >= 0);
    assert.deepEqual(Object.keys(stats.event_loop_delay_ms).sort(), ['max', 'mean', 'p99']);
    assert.deepEqual(stats.forwarders, ['orders']);
  });

  it("keeps a listing's answer bounded however many and however long a client's URIs are", async () => {
    const console = await asOperator();
    const app = await join('/ws', { method: 'anonymous' });
    // 300 subscriptions of 4,000-character URIs: 1.2 MB of URIs, once in each listing.
    const long = (n: number) => `long.${String(n).padStart(4, '0')}.${'u'.repeat(4_000)}`;
    await Promise.all(Array.from({ length: 300 }, (_, n) => app.subscribe(long(n), () => undefined)));

    const sessions = (await console.call('junction.session.list')).args[0] as { items: Record<string, any>[] };
    const listed = sessions.items.find((item) => item.session === app.id)!;
    assert.equal(listed.subscription_count, 300);
    assert.equal(listed.subscriptions.length, MAX_URIS_PER_SESSION);
    assert.equal(listed.registration_count, 0);

    const subscriptions = (await console.call('junction.subscription.list')).args[0] as { total: number; truncated: boolean; items: Record<string, any>[] };
    assert.ok(subscriptions.total >= 300);
    assert.equal(subscriptions.truncated, true);
    assert.ok(subscriptions.items.length > 100 && subscriptions.items.length < 300, `${subscriptions.items.length} items`);
    assert.ok(Buffer.byteLength(JSON.stringify(subscriptions.items)) <= MAX_LISTING_BYTES);
    await app.leave();
  });

  it('answers the configuration with every secret masked, to the roles allowed to ask', async () => {
    const console = await asOperator();
    const config = JSON.stringify((await console.call('junction.config.get')).args[0]);
    assert.ok(config.includes('"realm1"'));
    for (const secret of [operator.ticket, viewer.secret, forwarderToken, forwarderApiKey, programPassword, programToken]) assert.ok(!config.includes(secret), `${secret} leaked`);
    assert.ok(config.includes('http://127.0.0.1:9/hooks/orders?api_key=*****'), 'what is no secret is shown');
    assert.ok(config.includes(`${JSON.stringify(process.execPath)},"report.js","--password=*****","--token","*****"]`), `the program and its options are shown: ${config}`);
    assert.ok(config.includes('"Authorization":"*****"'), 'a header keeps its name');

    // The forwarder's status names its queue's URL as logs do: the API key in its query masked.
    await console.publish(forwardedTopic, [{ order: 1 }], {}, { acknowledge: true });
    let status = '';
    for (let tries = 0; tries < 100 && !status.includes('hooks/orders'); tries++) {
      status = JSON.stringify((await console.call('junction.forwarder.orders.status')).args[0]);
      if (!status.includes('hooks/orders')) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(status.includes('"url":"http://127.0.0.1:9/hooks/orders?api_key=*****"'), status);
    assert.ok(!status.includes(forwarderApiKey), status);

    const readOnly = await asViewer();
    await assert.rejects(readOnly.call('junction.config.get'), (error: WampError) => error.uri === 'wamp.error.not_authorized');
    await assert.rejects(readOnly.publish('chat.room1', ['x'], {}, { acknowledge: true }), (error: WampError) => error.uri === 'wamp.error.not_authorized');
    assert.ok(((await readOnly.call('junction.node.stats')).args[0] as { sessions: number }).sessions >= 1);
  });
});
