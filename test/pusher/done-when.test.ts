/**
 * Issue 17's "done when", tried as a new user would: a Laravel-style app (its page, its
 * /broadcasting/auth endpoint signing as Laravel does, its server broadcasting through the
 * `pusher` SDK) moves to Junction by changing the host. A page in headless Chromium runs Laravel
 * Echo (pusher-js's browser build), authenticates through the app, and receives OrderShipped on
 * private-orders.42; its presence channel shows two members joining and one leaving; an
 * AutobahnJS client subscribed to the mapped topic receives the same event.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openAutobahn } from '../support/autobahn.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { waitFor } from '../support/wait.js';
import { APP, echoClient, pusherConfig, removeDir, serverSdk, startAuthApp, startPusherNode, type AuthApp, type PusherNode } from './support.js';

const modules = fileURLToPath(new URL('../../../node_modules/', import.meta.url));

declare global {
  interface Window {
    shipped: unknown[];
    here: unknown[];
    joining: unknown[];
    leaving: unknown[];
  }
}

/** The app's own web server: its page, the two scripts it bundles, and Laravel's auth route (the user from a cookie). */
async function startLaravelApp(pusherPort: number): Promise<{ origin: string; close(): Promise<void> }> {
  const page = `<!doctype html><title>orders</title>
<script src="/js/pusher.min.js"></script>
<script src="/js/echo.iife.js"></script>
<script>
  window.shipped = []; window.here = []; window.joining = []; window.leaving = [];
  // resources/js/bootstrap.js of a Laravel app, with the Pusher host pointed at Junction.
  window.Echo = new Echo.default({
    broadcaster: 'pusher', key: '${APP.key}', cluster: 'mt1',
    wsHost: '127.0.0.1', wsPort: ${pusherPort}, forceTLS: false, enabledTransports: ['ws'], disableStats: true,
  });
  window.Echo.private('orders.42').listen('OrderShipped', (event) => window.shipped.push(event));
  window.Echo.join('orders')
    .here((users) => window.here.push(...users))
    .joining((user) => window.joining.push(user))
    .leaving((user) => window.leaving.push(user));
</script>`;
  const files: Record<string, string> = {
    '/js/pusher.min.js': `${modules}pusher-js/dist/web/pusher.min.js`,
    '/js/echo.iife.js': `${modules}laravel-echo/dist/echo.iife.js`,
  };
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/') return void response.writeHead(200, { 'content-type': 'text/html', 'set-cookie': 'user=1' }).end(page);
    const file = files[path];
    if (file) return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
    if (path === '/broadcasting/auth' && request.method === 'POST') {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const user = /user=(\d+)/.exec(request.headers.cookie ?? '')?.[1];
        if (!user) return void response.writeHead(403).end();
        const socketId = form.get('socket_id')!;
        const channel = form.get('channel_name')!;
        const sign = (text: string) => `${APP.key}:${createHmac('sha256', APP.secret).update(text).digest('hex')}`;
        const channelData = JSON.stringify({ user_id: Number(user), user_info: { id: Number(user), name: `User ${user}` } });
        const body = channel.startsWith('presence-') ? { auth: sign(`${socketId}:${channel}:${channelData}`), channel_data: channelData } : { auth: sign(`${socketId}:${channel}`) };
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

describe('a Laravel app moves to Junction (issue 17, done when)', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let server: PusherNode;
  let app: Awaited<ReturnType<typeof startLaravelApp>>;
  let auth: AuthApp;
  let chromium: LaunchedChromium;
  let page: Page;

  before(async () => {
    server = await startPusherNode(pusherConfig({ topicPrefix: 'laravel.' }));
    app = await startLaravelApp(server.port);
    auth = await startAuthApp();
    chromium = await launchChromium();
    page = await chromium.firstPage();
  });
  after(async () => {
    await chromium?.close();
    await auth?.close();
    await app?.close();
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('Echo in Chromium receives OrderShipped, sees two members join and one leave; AutobahnJS gets the same event', async () => {
    await page.goto(app.origin);
    await page.waitForFunction(() => window.here.length === 1, undefined, { timeout: 10_000 });
    assert.deepEqual(await page.evaluate(() => window.here), [{ id: 1, name: 'User 1' }]);

    // Two more members join (Echo in Node, signed in as users 2 and 3), then one leaves.
    const others = ['2', '3'].map((user) => echoClient(server.port, auth.url, user));
    try {
      for (const echo of others) echo.join('orders');
      await page.waitForFunction(() => window.joining.length === 2, undefined, { timeout: 10_000 });
      others[1]!.leave('orders');
      await page.waitForFunction(() => window.leaving.length === 1, undefined, { timeout: 10_000 });
      assert.deepEqual((await page.evaluate(() => window.joining)).map((user) => (user as { name: string }).name).sort(), ['User 2', 'User 3']);
      assert.deepEqual(await page.evaluate(() => window.leaving), [{ name: 'User 3' }]);
    } finally {
      for (const echo of others) echo.disconnect();
    }

    const wamp = await openAutobahn(server.wampUrl);
    const wampEvents: unknown[] = [];
    await wamp.session.subscribe('laravel.private-orders.42', (args: unknown[], kwargs: Record<string, unknown>) => wampEvents.push([args, kwargs]));
    // What Laravel's broadcaster sends for `broadcast(new OrderShipped($order))`.
    const payload = { order: { id: 42, status: 'shipped' }, socket: null };
    await serverSdk(server.port).trigger('private-orders.42', 'App\\Events\\OrderShipped', payload);
    await page.waitForFunction(() => window.shipped.length === 1, undefined, { timeout: 10_000 });
    assert.deepEqual(await page.evaluate(() => window.shipped), [payload]);
    await waitFor(() => wampEvents.length === 1, 'the AutobahnJS event');
    assert.deepEqual(wampEvents, [[[payload], { event: 'App\\Events\\OrderShipped' }]]);
    await wamp.close();
  });
});
