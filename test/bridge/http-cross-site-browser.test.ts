/**
 * Cross-site request forgery in headless Chromium: a page of another site (a name that Chromium
 * resolves to 127.0.0.1 by --host-resolver-rules, on a port of its own) tries to publish through
 * the visitor's browser with every request a page can send without permission: a body of no type,
 * text/plain, a form, and JSON (which needs a preflight). None of it is delivered. A page of the
 * router's own origin publishes; so does a page of an origin listed in allowed_origins, after its
 * preflight is granted; both read the answer.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { startTestNode } from '../support/node.js';
import { bridgeConfig, bridgeDefaults, EventLog, post } from './http-support.js';

const attacker = 'evil.example';
const partner = 'partner.example';

describe('the HTTP publisher and pages of other sites in headless Chromium', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let pages: Server;
  let pagesPort: number;
  let chromium: LaunchedChromium;
  let subscriber: OpenSession;
  let bridge: string;

  before(async () => {
    // The other sites' pages: an empty document; their scripts run through page.evaluate.
    pages = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>another site</title>'));
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagesPort = (pages.address() as AddressInfo).port;
    node = await startTestNode(bridgeConfig({
      '/publish': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: bridgeDefaults },
      '/partner': { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { ...bridgeDefaults, allowedOrigins: [`http://${partner}:${pagesPort}`] } },
      // A document of the router's own origin, for a same-origin page.
      '/page': { type: 'json', value: { page: 'own' }, prettify: false, allowCrossOrigin: false, discourageCaching: true },
    }));
    bridge = `http://127.0.0.1:${node.ports.get('test')}`;
    subscriber = await openAutobahn(node.url);
    chromium = await launchChromium([`--host-resolver-rules=MAP ${attacker} 127.0.0.1, MAP ${partner} 127.0.0.1`]);
  });

  after(async () => {
    await chromium?.close();
    await subscriber?.close();
    await node?.stop();
    await new Promise((resolve) => pages?.close(resolve));
  });

  async function pageOf(site: string): Promise<Page> {
    const page = await chromium.context.newPage();
    page.setDefaultTimeout(10_000);
    assert.equal((await page.goto(`http://${site}:${pagesPort}/`))?.status(), 200);
    return page;
  }

  it("a page of another site cannot publish: not with a body of no type, text/plain, a form or JSON", async () => {
    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.browser');
    const page = await pageOf(attacker);
    const outcomes = await page.evaluate(async (url) => {
      const body = (what: string) => JSON.stringify({ topic: 'com.myapp.browser', args: [what] });
      const attempt = (init: RequestInit): Promise<string> => fetch(url, { method: 'POST', ...init }).then((response) => `read ${response.status}`, () => 'failed');
      return {
        untyped: await attempt({ body: new Blob([body('untyped')]) }),
        text: await attempt({ body: body('text/plain'), headers: { 'content-type': 'text/plain' } }),
        // no-cors: the page does not even ask to read the answer, as a <form method=post> submission does not.
        opaque: await attempt({ body: body('no-cors'), mode: 'no-cors' }),
        json: await attempt({ body: body('json'), headers: { 'content-type': 'application/json' } }),
      };
    }, `${bridge}/publish`);
    // The browser hides every answer from the page (no CORS grant); 'opaque' resolves with status 0.
    assert.deepEqual(outcomes, { untyped: 'failed', text: 'failed', opaque: 'read 0', json: 'failed' });
    await page.close();
    const refused = /junction_http_bridge_requests_total\{outcome="origin_not_allowed",path="\/publish",service="publisher"\} (\d+)/.exec(node.metrics.exposition());
    assert.equal(refused?.[1], '3', 'the three simple requests reached the router and were refused; the JSON one never left the browser (its preflight was not granted)');
    // One bridge session publishes in order: the backend's event is the first one there is.
    assert.equal((await post(`${bridge}/publish`, { topic: 'com.myapp.browser', args: ['backend'] })).status, 200);
    assert.deepEqual((await events.next()).args, ['backend']);
    assert.equal(events.events.length, 1);
  });

  it("a page of the router's own origin publishes JSON and reads the answer", async () => {
    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.own');
    const page = await chromium.context.newPage();
    page.setDefaultTimeout(10_000);
    assert.equal((await page.goto(`${bridge}/page`))?.status(), 200);
    const answer = await page.evaluate(async () => {
      const response = await fetch('/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic: 'com.myapp.own', args: ['own page'] }) });
      return { status: response.status, body: await response.json() as { id?: number } };
    });
    assert.equal(answer.status, 200);
    const event = await events.next();
    assert.deepEqual(event.args, ['own page']);
    assert.equal(answer.body.id, event.details.publication);
    await page.close();
  });

  it('a page of an origin in allowed_origins publishes JSON after its preflight and reads the answer', async () => {
    const events = await EventLog.subscribe(subscriber.session, 'com.myapp.partner');
    const page = await pageOf(partner);
    const answer = await page.evaluate(async (url) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic: 'com.myapp.partner', args: ['partner'] }) });
      return { status: response.status, body: await response.json() as { id?: number } };
    }, `${bridge}/partner`);
    assert.equal(answer.status, 200);
    const event = await events.next();
    assert.deepEqual(event.args, ['partner']);
    assert.equal(answer.body.id, event.details.publication);
    await page.close();
  });
});
