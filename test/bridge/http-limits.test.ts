import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { after, describe, it } from 'node:test';
import { startTestNode } from '../support/node.js';
import { bridgeConfig, bridgeDefaults, post } from './http-support.js';

/** Who may post and how much: require_ip, require_tls (also behind a trusted proxy), post_body_limit and max_requests_in_flight. */

const config = bridgeConfig({
  '/internal': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { ...bridgeDefaults, requireIp: ['10.0.0.0/8'] } },
  '/secure': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { ...bridgeDefaults, requireTls: true } },
  '/small': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { ...bridgeDefaults, postBodyLimit: 100 } },
  '/one-at-a-time': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { ...bridgeDefaults, maxRequestsInFlight: 1 } },
  '/small-hook': {
    type: 'webhook', realm: 'realm1', role: 'anonymous', topic: 'com.myapp.hook', successResponse: 'OK', errorResponse: 'NOT OK',
    options: { postBodyLimit: 100, requireIp: [], requireTls: false },
  },
}, ['127.0.0.1']);
const node = await startTestNode(config);
const base = `http://127.0.0.1:${node.ports.get('test')}`;

after(() => node.stop());

/** A body of exactly `size` bytes that is a valid publication. */
function publication(size: number): string {
  const empty = JSON.stringify({ topic: 'com.myapp.limits', args: [''] });
  return JSON.stringify({ topic: 'com.myapp.limits', args: ['x'.repeat(size - empty.length)] });
}

describe('require_ip', () => {
  it('refuses 127.0.0.1 when only 10.0.0.0/8 is allowed', async () => {
    const answer = await post(`${base}/internal`, { topic: 'com.myapp.limits' });
    assert.equal(answer.status, 403);
    assert.equal(answer.json.error, 'ip_not_allowed');
    assert.match(answer.json.message, /127\.0\.0\.1/);
  });

  it('accepts a 10.x client reaching it through a trusted proxy', async () => {
    const answer = await post(`${base}/internal`, { topic: 'com.myapp.limits' }, { headers: { 'x-forwarded-for': '10.1.2.3' } });
    assert.equal(answer.status, 200, answer.text);
  });
});

describe('require_tls', () => {
  it('refuses plain HTTP with 403', async () => {
    const answer = await post(`${base}/secure`, { topic: 'com.myapp.limits' });
    assert.equal(answer.status, 403);
    assert.equal(answer.json.error, 'tls_required');
  });

  it('accepts a request a trusted proxy received over HTTPS', async () => {
    const answer = await post(`${base}/secure`, { topic: 'com.myapp.limits' }, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' } });
    assert.equal(answer.status, 200, answer.text);
  });
});

describe('post_body_limit', () => {
  it('accepts a body of exactly the limit', async () => {
    const answer = await post(`${base}/small`, publication(100));
    assert.equal(answer.status, 200, answer.text);
  });

  it('refuses a body one byte over it with 413, for the publisher and the webhook', async () => {
    for (const path of ['/small', '/small-hook']) {
      const answer = await post(`${base}${path}`, publication(101));
      assert.equal(answer.status, 413, path);
      assert.equal(answer.json.error, 'body_too_large');
      assert.match(answer.json.message, /the body is 101 bytes; the limit is 100 bytes/);
    }
  });

  it('refuses a chunked body as soon as it grows past the limit, without waiting for its end', async () => {
    const request = httpRequest(`${base}/small`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
    request.on('error', () => {});
    const answered = new Promise<IncomingMessage>((resolve) => request.on('response', resolve));
    request.write('{"topic": "com.myapp.limits", "args": ["');
    request.write('x'.repeat(200)); // never ended: only the limit can end this request
    const response = await answered;
    let text = '';
    for await (const chunk of response) text += chunk;
    request.destroy();
    assert.equal(response.statusCode, 413);
    assert.equal(JSON.parse(text).error, 'body_too_large');
    // The rest of the body is read and thrown away (bounded), so the connection need not close.
    assert.notEqual(response.headers.connection, 'close');
  });
});

describe('max_requests_in_flight', () => {
  it('answers 503 with Retry-After while the service holds its limit, counts it, and serves again once the held request ends', async () => {
    const body = JSON.stringify({ topic: 'com.myapp.limits' });
    // A request whose body has not all arrived holds its place.
    const held = httpRequest(`${base}/one-at-a-time`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } });
    const heldAnswer = new Promise<IncomingMessage>((resolve) => held.on('response', resolve));
    held.write(body.slice(0, 5));

    // Until the held request reaches the service, others still go through.
    const deadline = Date.now() + 5_000;
    let refused = await post(`${base}/one-at-a-time`, body);
    while (refused.status === 200 && Date.now() < deadline) refused = await post(`${base}/one-at-a-time`, body);
    assert.equal(refused.status, 503);
    assert.equal(refused.json.error, 'too_many_requests');
    assert.match(refused.json.message, /handling 1 request already \(max_requests_in_flight\)/);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(node.metrics.exposition(), /junction_http_bridge_requests_total\{outcome="too_many_requests",path="\/one-at-a-time",service="publisher"\} 1/);

    held.end(body.slice(5));
    assert.equal((await heldAnswer).statusCode, 200);
    assert.equal((await post(`${base}/one-at-a-time`, body)).status, 200);
  });
});
