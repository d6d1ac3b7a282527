import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { WebhookService } from '../../src/config/model.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode } from '../support/node.js';
import { bridgeConfig, bridgeDefaults, EventLog } from './http-support.js';

/**
 * Cross-site request forgery through a visitor's browser: a page of another site can make the
 * browser POST to the bridge without a CORS preflight (a body of no type, text/plain, a form) and
 * only the answer is hidden from it. Such requests carry the page's Origin and are refused before
 * they publish or call anything; backends (no Origin), same-origin pages and allowed origins pass.
 */

const partner = 'https://app.example.com';
const hook: WebhookService = {
  type: 'webhook', realm: 'realm1', role: 'anonymous', topic: 'com.myapp.hook', successResponse: 'OK', errorResponse: 'NOT OK', options: bridgeDefaults,
};
const config = bridgeConfig({
  '/publish': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: bridgeDefaults },
  '/call': { type: 'caller', realm: 'realm1', role: 'anonymous', options: bridgeDefaults, maxTimeoutMs: 10_000 },
  '/hook': hook,
  '/partner': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { ...bridgeDefaults, allowedOrigins: [partner] } },
});
const node = await startTestNode(config);
const base = `http://127.0.0.1:${node.ports.get('test')}`;
/** What a page served by this listener sends as its Origin. */
const ownOrigin = base;
const evil = 'https://evil.example';
let subscriber: OpenSession;
const effects: unknown[] = [];

before(async () => {
  subscriber = await openAutobahn(node.url);
  await subscriber.session.register('com.myapp.transfer', (args: unknown[]) => {
    effects.push(args[0]);
    return 'done';
  });
});

after(async () => {
  await subscriber?.close();
  await node.stop();
});

type Body = 'untyped' | 'text/plain' | 'application/json' | 'application/x-www-form-urlencoded';

/**
 * POSTs `payload` as a browser would: "untyped" is a Blob without type (no Content-Type at all),
 * the others send that Content-Type. `origin` undefined sends none, as backends do.
 */
async function browserPost(path: string, payload: string, type: Body, origin: string | undefined, method = 'POST'): Promise<{ status: number; headers: Headers; json: any; text: string }> {
  const headers: Record<string, string> = {};
  if (type !== 'untyped') headers['content-type'] = type;
  if (origin !== undefined) headers.origin = origin;
  const response = await fetch(`${base}${path}`, { method, headers, body: type === 'untyped' ? new Blob([payload]) : payload });
  const text = await response.text();
  const json = response.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, json, text };
}

function refusals(path: string, service: string): number {
  const line = new RegExp(`junction_http_bridge_requests_total\\{outcome="origin_not_allowed",path="${path.replace('/', '\\/')}",service="${service}"\\} (\\d+)`);
  return Number(line.exec(node.metrics.exposition())?.[1] ?? 0);
}

const publication = (marker: string): string => JSON.stringify({ topic: 'com.myapp.csrf', args: [marker] });

describe('a page of another site', () => {
  it('cannot publish, whatever the body type: 403 origin_not_allowed, nothing delivered, each counted', async () => {
    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.csrf');
    const before = refusals('/publish', 'publisher');
    for (const type of ['untyped', 'text/plain', 'application/json'] as const) {
      const answer = await browserPost('/publish', publication(`forged ${type}`), type, evil);
      assert.equal(answer.status, 403, type);
      assert.equal(answer.json.error, 'origin_not_allowed', type);
      assert.match(answer.json.message, /cross-site request refused: a page of "https:\/\/evil\.example" may not post/);
      assert.equal(answer.headers.get('access-control-allow-origin'), null, 'no CORS grant: the page cannot read the answer either');
    }
    assert.equal(refusals('/publish', 'publisher') - before, 3);
    // Publications from one bridge session arrive in order: the first event is the backend's.
    assert.equal((await browserPost('/publish', publication('from the backend'), 'untyped', undefined)).status, 200);
    assert.deepEqual((await events.next()).args, ['from the backend']);
    assert.equal(events.events.length, 1);
  });

  it('with Origin "null" (a sandboxed frame, a local file) is refused too', async () => {
    const answer = await browserPost('/publish', publication('from null'), 'untyped', 'null');
    assert.equal(answer.status, 403);
    assert.match(answer.json.message, /no origin \("null"/);
  });

  it('cannot call: refused before the callee is invoked', async () => {
    const before = refusals('/call', 'caller');
    const body = JSON.stringify({ procedure: 'com.myapp.transfer', args: ['forged'] });
    for (const type of ['untyped', 'text/plain', 'application/json'] as const) {
      assert.equal((await browserPost('/call', body, type, evil)).json.error, 'origin_not_allowed', type);
    }
    assert.equal(refusals('/call', 'caller') - before, 3);
    const own = await browserPost('/call', JSON.stringify({ procedure: 'com.myapp.transfer', args: ['own page'] }), 'application/json', ownOrigin);
    assert.deepEqual([own.status, own.json], [200, { args: ['done'] }]);
    assert.deepEqual(effects, ['own page']);
  });

  it("cannot post a form to the webhook; a webhook sender's POST (no Origin) passes", async () => {
    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.hook');
    const forged = await browserPost('/hook', 'amount=1000', 'application/x-www-form-urlencoded', evil);
    assert.deepEqual([forged.status, forged.json.error], [403, 'origin_not_allowed']);
    assert.equal(refusals('/hook', 'webhook'), 1);
    const delivered = await browserPost('/hook', '{"zen": "hello"}', 'application/json', undefined);
    assert.deepEqual([delivered.status, delivered.text], [202, 'OK']);
    assert.equal(((await events.next()).args[0] as { body: string }).body, '{"zen": "hello"}');
    assert.equal(events.events.length, 1);
  });

  it('gets no CORS grant from a preflight', async () => {
    const answer = await fetch(`${base}/publish`, {
      method: 'OPTIONS', headers: { origin: evil, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(answer.status, 204);
    assert.equal(answer.headers.get('access-control-allow-origin'), null);
    assert.equal(answer.headers.get('access-control-allow-methods'), null);
  });
});

describe('pages allowed to post', () => {
  it('a same-origin page publishes', async () => {
    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.csrf');
    const answer = await browserPost('/publish', publication('own page'), 'application/json', ownOrigin);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), null, 'same origin needs no CORS');
    assert.deepEqual((await events.next()).args, ['own page']);
  });

  it('an origin listed in allowed_origins is granted its preflight and publishes with CORS; others are still refused there', async () => {
    const preflight = await fetch(`${base}/partner`, {
      method: 'OPTIONS', headers: { origin: partner, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), partner);
    assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, PUT');
    assert.equal(preflight.headers.get('access-control-allow-headers'), 'content-type');

    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.csrf');
    const answer = await browserPost('/partner', publication('partner page'), 'application/json', partner);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('access-control-allow-origin'), partner);
    assert.deepEqual((await events.next()).args, ['partner page']);

    const refused = await browserPost('/partner', publication('forged'), 'application/json', evil);
    assert.deepEqual([refused.status, refused.json.error], [403, 'origin_not_allowed']);
    const bad = await browserPost('/partner', '{"topic": 5}', 'application/json', partner);
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get('access-control-allow-origin'), partner, 'the allowed page can read why it was refused');
  });
});
