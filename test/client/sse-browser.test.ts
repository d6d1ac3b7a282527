/**
 * Server-Sent Events in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core):
 * a page served by the node's own static path opens `new EventSource('/sse?...')` (same origin, no
 * WAMP library) and receives events that a backend publishes with an HTTP POST; a second stream
 * signs in with the ticket in a cookie, as a logged-in page would.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { JunctionConfig, SseService } from '../../src/config/model.js';
import type { RunningNode } from '../../src/node/node.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { startTestNode, testConfig } from '../support/node.js';

function sse(auth: SseService['auth']): SseService {
  return { type: 'sse', realm: 'realm1', auth, cookieName: 'junction_ticket', heartbeatMs: 15_000, maxTopics: 8, maxBufferedBytes: 1_048_576,
    maxStreams: 10_000, maxPerAddress: 100, resumeWaitMs: 1000 };
}

function config(site: string): JunctionConfig {
  const config = testConfig();
  config.realms[0]!.roles.push({
    name: 'member',
    permissions: [{
      uri: 'members.', match: 'prefix', cache: true,
      allow: { call: false, register: false, publish: false, subscribe: true }, disclose: { caller: false, publisher: false },
    }],
  });
  const paths = config.listeners[0]!.paths;
  paths['/'] = { type: 'static', directory: site, defaultFile: 'index.html', directoryListing: false, cacheTimeoutSeconds: 0, mimeTypes: {} };
  paths['/publish'] = { type: 'publisher', realm: 'realm1', role: 'anonymous', options: { postBodyLimit: 8192, requireIp: [], requireTls: false } };
  paths['/sse'] = sse({ anonymous: { type: 'static', role: 'anonymous' } });
  paths['/members/sse'] = sse({ ticket: { type: 'static', principals: { ann: { ticket: 'ann-secret', role: 'member' } } } });
  return config;
}

/** What the page keeps on `window`: the events each stream received. */
declare global {
  interface Window {
    received: { stream: string; type: string; id: string; data: unknown }[];
    opened: string[];
  }
}

describe('SSE in headless Chromium', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let node: RunningNode;
  let base: string;
  let chromium: LaunchedChromium;
  let page: Page;
  let site: string;

  before(async () => {
    site = mkdtempSync(join(tmpdir(), 'junction-sse-site-'));
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>sse</title><script>window.received = []; window.opened = [];</script>');
    node = await startTestNode(config(site));
    base = `http://127.0.0.1:${node.ports.get('test')}`;
    chromium = await launchChromium();
    page = await chromium.firstPage();
    await page.goto(`${base}/`);
  });

  after(async () => {
    await chromium?.close();
    await node?.stop();
    if (site) rmSync(site, { recursive: true, force: true });
  });

  async function post(topic: string, args: unknown[], kwargs?: Record<string, unknown>): Promise<number> {
    const response = await fetch(`${base}/publish`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic, args, kwargs }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    return ((await response.json()) as { id: number }).id;
  }

  /** Opens an EventSource in the page that records `types` events into window.received. */
  async function listen(stream: string, url: string, types: string[]): Promise<void> {
    await page.evaluate(({ stream, url, types }) => {
      const source = new EventSource(url);
      source.onopen = () => window.opened.push(stream);
      for (const type of types) {
        source.addEventListener(type, (event) => {
          const message = event as MessageEvent<string>;
          window.received.push({ stream, type: message.type, id: message.lastEventId.split(':')[0], data: JSON.parse(message.data) });
        });
      }
    }, { stream, url, types });
    await page.waitForFunction((stream) => window.opened.includes(stream), stream);
  }

  it('a page receives events of two topics, a pattern among them, published by HTTP POST', async () => {
    await listen('public', '/sse?topic=news&prefix=scores.', ['news', 'scores.final']);
    const news = await post('news', ['extra! extra!'], { edition: 2 });
    const score = await post('scores.final', [3, 1]);
    await page.waitForFunction(() => window.received.filter((event) => event.stream === 'public').length === 2);
    const received = await page.evaluate(() => window.received.filter((event) => event.stream === 'public'));
    assert.deepEqual(received, [
      { stream: 'public', type: 'news', id: String(news), data: { args: ['extra! extra!'], kwargs: { edition: 2 } } },
      { stream: 'public', type: 'scores.final', id: String(score), data: { args: [3, 1], kwargs: {} } },
    ]);
  });

  it('a page signs in with the ticket in a cookie and reads what its role may', async () => {
    await page.evaluate(() => (document.cookie = 'junction_ticket=ann%3Aann-secret; path=/'));
    await listen('members', '/members/sse?topic=members.lounge', ['members.lounge']);
    const id = await post('members.lounge', ['welcome, ann']);
    await page.waitForFunction(() => window.received.some((event) => event.stream === 'members'));
    const [event] = await page.evaluate(() => window.received.filter((event) => event.stream === 'members'));
    assert.deepEqual(event, { stream: 'members', type: 'members.lounge', id: String(id), data: { args: ['welcome, ann'], kwargs: {} } });
  });
});
