import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WebhookService } from '../../src/config/model.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode } from '../support/node.js';
import { bridgeConfig, bridgeDefaults, EventLog, post } from './http-support.js';

/** The webhook end to end: any POST becomes one {headers, body} event; GitHub's signature when configured. */

const githubSecret = 'It\'s a Secret to Everybody';
const limits = { postBodyLimit: bridgeDefaults.postBodyLimit, requireIp: [], requireTls: false };
const webhook = (topic: string, extra: Partial<WebhookService> = {}): WebhookService => ({
  type: 'webhook', realm: 'realm1', role: 'anonymous', topic, successResponse: 'OK', errorResponse: 'NOT OK', options: limits, ...extra,
});
const config = bridgeConfig({
  '/webhook': webhook('com.myapp.webhook', { successResponse: 'thanks' }),
  '/github': webhook('com.myapp.github', { githubSecret }),
  '/webhook-denied': webhook('com.myapp.denied', { role: 'listener', errorResponse: 'refused' }),
});
const node = await startTestNode(config);
const base = `http://127.0.0.1:${node.ports.get('test')}`;
let subscriber: OpenSession;

before(async () => {
  subscriber = await openAutobahn(node.url);
});

after(async () => {
  await subscriber?.close();
  await node.stop();
});

describe('webhook', () => {
  it('publishes the body as text and the headers as lists, and answers 202 with success_response', async () => {
    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.webhook');
    const answer = await post(`${base}/webhook`, 'fresh webhooks!', { headers: { 'content-type': 'text/plain', 'x-custom': 'one' } });
    assert.equal(answer.status, 202);
    assert.equal(answer.text, 'thanks');
    const [event] = (await events.next()).args as [{ headers: Record<string, string[]>; body: string }];
    assert.equal(event.body, 'fresh webhooks!');
    assert.deepEqual(event.headers['Content-Type'], ['text/plain']);
    assert.deepEqual(event.headers['X-Custom'], ['one']);
    assert.deepEqual(event.headers['Content-Length'], ['15']);
  });

  it('accepts PUT too, and refuses GET with 405', async () => {
    assert.equal((await post(`${base}/webhook`, 'x', { method: 'PUT' })).status, 202);
    const answer = await post(`${base}/webhook`, undefined, { method: 'GET' });
    assert.equal(answer.status, 405);
    assert.equal(answer.json.error, 'method_not_allowed');
  });

  it('answers error_response with 403 when the role may not publish', async () => {
    const answer = await post(`${base}/webhook-denied`, '{}');
    assert.equal(answer.status, 403);
    assert.equal(answer.text, 'refused');
  });

  describe('with github_secret', () => {
    const payload = '{"zen":"Design for failure.","hook_id":50271743}';
    const signature = `sha256=${createHmac('sha256', githubSecret).update(payload).digest('hex')}`;

    it('publishes a request signed with X-Hub-Signature-256', async () => {
      const events = await EventLog.subscribe(subscriber.session, 'com.myapp.github');
      const answer = await post(`${base}/github`, payload, { headers: { 'x-hub-signature-256': signature, 'x-github-event': 'ping' } });
      assert.equal(answer.status, 202);
      assert.equal(answer.text, 'OK');
      const [event] = (await events.next()).args as [{ headers: Record<string, string[]>; body: string }];
      assert.equal(event.body, payload);
      assert.deepEqual(event.headers['X-Github-Event'], ['ping']);
    });

    it('refuses a request without a signature, and one whose body does not match it, with 401', async () => {
      const unsigned = await post(`${base}/github`, payload);
      assert.equal(unsigned.status, 401);
      assert.equal(unsigned.json.error, 'signature_missing');
      const tampered = await post(`${base}/github`, payload.replace('failure', 'success'), { headers: { 'x-hub-signature-256': signature } });
      assert.equal(tampered.status, 401);
      assert.equal(tampered.json.error, 'signature_mismatch');
      assert.ok(!tampered.text.includes(githubSecret));
    });
  });
});
