/**
 * Cookie authentication as a browser lives it, in headless Chromium: a page served by the router
 * signs in on its WebSocket path with a ticket, is reloaded, and its new connection signs in by
 * the HttpOnly cookie the first upgrade set (the page's script never sees the cookie).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/router/log.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';

/**
 * The page: WAMP by hand over the browser's WebSocket. HELLO asks for cookie, then ticket; a
 * CHALLENGE is answered with the ticket from the URL's fragment, if any (else the page gives up:
 * it would have to ask its user).
 * What WELCOME said lands in <body data-...>.
 */
const page = `<!doctype html>
<html><body data-state="connecting"><script>
const ticket = new URLSearchParams(location.hash.slice(1)).get('ticket');
history.replaceState(null, '', location.pathname);
const ws = new WebSocket('ws://' + location.host + '/ws', ['wamp.2.json']);
ws.onopen = () => ws.send(JSON.stringify([1, 'shop', { roles: { caller: {} }, authmethods: ['cookie', 'ticket'], authid: 'alice' }]));
ws.onmessage = (event) => {
  const message = JSON.parse(event.data);
  if (message[0] === 4) {
    if (ticket) {
      ws.send(JSON.stringify([5, ticket, {}]));
    } else {
      document.body.dataset.state = 'challenged';
      ws.close();
    }
  } else if (message[0] === 2) {
    document.body.dataset.authid = message[2].authid;
    document.body.dataset.authprovider = message[2].authprovider;
    document.body.dataset.state = 'welcome';
  } else if (message[0] === 3) {
    document.body.dataset.state = 'aborted';
  }
};
</script></body></html>`;

const config = (web: string) => parseConfig({
  version: 2,
  workers: [{
    type: 'router',
    realms: [{ name: 'shop', roles: [{ name: 'customer', permissions: [{ uri: 'shop.', match: 'prefix', allow: { call: true } }] }] }],
    transports: [{
      type: 'web',
      endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
      paths: {
        '/': { type: 'static', directory: web },
        ws: {
          type: 'websocket',
          cookie: { store: { type: 'memory' } },
          auth: { ticket: { type: 'static', principals: { alice: { ticket: 'open-sesame', role: 'customer' } } }, cookie: {} },
        },
      },
    }],
  }],
}, { source: 'cookie-browser', env: {} });

describe('cookie authentication in headless Chromium', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  const web = mkdtempSync(join(tmpdir(), 'junction-cookie-web-'));
  let node: RunningNode;
  let chromium: LaunchedChromium;

  before(async () => {
    writeFileSync(join(web, 'index.html'), page);
    node = await startNode(config(web), { log: silentLogger, shutdownGraceMs: 100, dataDir: join(web, 'data') });
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    await node?.stop();
    rmSync(web, { recursive: true, force: true });
  });

  it('signs in with a ticket, reloads, and is signed in by its cookie, which its script cannot read', async () => {
    const tab = await chromium.firstPage();
    tab.setDefaultTimeout(10_000);
    const base = new URL(node.urls[0]!.replace('ws:', 'http:')).origin;
    await tab.goto(`${base}/#ticket=open-sesame`);
    await tab.locator('body[data-state="welcome"]').waitFor({ state: 'attached' });
    assert.equal(await tab.locator('body').getAttribute('data-authprovider'), 'static');

    await tab.reload();
    await tab.locator('body[data-state="welcome"]').waitFor({ state: 'attached' });
    assert.equal(await tab.locator('body').getAttribute('data-authid'), 'alice');
    assert.equal(await tab.locator('body').getAttribute('data-authprovider'), 'cookie');
    assert.equal(await tab.evaluate(() => document.cookie), '', 'the cookie is HttpOnly');
    const cookies = await chromium.context.cookies(`${base}/ws`);
    assert.deepEqual(cookies.map(({ name, path, httpOnly, sameSite }) => ({ name, path, httpOnly, sameSite })), [{ name: 'cbtid', path: '/ws', httpOnly: true, sameSite: 'Lax' }]);
  });

  it('without the cookie the page is challenged for its ticket: the cookie was what signed it in', async () => {
    await chromium.context.clearCookies();
    const tab = await chromium.context.newPage();
    tab.setDefaultTimeout(10_000);
    await tab.goto(new URL(node.urls[0]!.replace('ws:', 'http:')).origin + '/');
    await tab.locator('body[data-state="challenged"]').waitFor({ state: 'attached' });
    await tab.close();
  });
});
