/**
 * AutobahnJS's long-poll transport in headless Chromium (it needs XMLHttpRequest, which Node
 * lacks), loaded from a page on another origin, so CORS with credentials is exercised too.
 *
 * What AutobahnJS 22.x calls a fallback: `transports` is tried in order, and a transport is
 * skipped when it cannot be *created*. A browser that offers no usable WebSocket therefore gets
 * long-poll. A WebSocket that is created but then refused (an upgrade answered 404, a proxy that
 * breaks upgrades) is *not* skipped: AutobahnJS retries the WebSocket and never tries long-poll.
 * Both behaviours are pinned here; the second one so that we notice if AutobahnJS changes.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { projectRoot } from '../support/cli.js';
import { startTestNode, testConfig, testLongPoll } from '../support/node.js';

// Short, so that AutobahnJS meets empty (204) answers to its polls during the test.
const longPoll = testLongPoll({ serializers: ['json'], requestTimeoutMs: 300 });

/**
 * AutobahnJS for the browser, bundled from the installed npm package. Its msgpack and cbor
 * serializers pull in Node-only modules: they are stubbed (AutobahnJS then reports them
 * unavailable; long-poll speaks JSON only anyway), as are `ws` and Node's crypto.
 */
async function bundleAutobahn(): Promise<string> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(projectRoot, 'node_modules', 'autobahn', 'index.js')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'autobahn',
    define: { global: 'globalThis' },
    write: false,
    logLevel: 'error',
    plugins: [{
      name: 'node-only-stubs',
      setup(builder) {
        builder.onResolve({ filter: /^(cbor|msgpack5|ws|crypto)$/ }, (args) => ({ path: args.path, namespace: 'stub' }));
        builder.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};' }));
      },
    }],
  });
  return result.outputFiles[0]!.text;
}

/** The app's page, on an origin of its own (another port than the router's). */
function servePage(): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>long-poll fallback</title>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('AutobahnJS long-poll in headless Chromium', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let chromium: LaunchedChromium;
  let pageServer: Server;
  let pageUrl: string;
  let autobahnBundle: string;
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let routerHttp: string;
  let peer: OpenSession;

  before(async () => {
    const config = testConfig();
    config.listeners[0]!.paths['/lp'] = longPoll;
    node = await startTestNode(config);
    routerHttp = `http://127.0.0.1:${node.ports.get('test')}`;
    peer = await openAutobahn(node.url);
    autobahnBundle = await bundleAutobahn();
    pageServer = await servePage();
    pageUrl = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`;
    chromium = await launchChromium();
  });

  after(async () => {
    await peer?.close();
    await chromium?.close();
    await new Promise((resolve) => pageServer?.close(resolve));
    await node?.stop();
  });

  /** A fresh page of the app with AutobahnJS loaded; `withoutWebSocket` takes the browser's WebSocket away first. */
  async function appPage(withoutWebSocket: boolean): Promise<Page> {
    const page = await chromium.context.newPage();
    // A browser (or embedding web view) that offers no WebSocket, as AutobahnJS's transport list anticipates.
    if (withoutWebSocket) await page.addInitScript(() => Reflect.deleteProperty(globalThis, 'WebSocket'));
    await page.goto(pageUrl);
    await page.addScriptTag({ content: autobahnBundle });
    return page;
  }

  const opened = (): number => Number(/junction_longpoll_opened_total (\d+)/.exec(node.metrics.exposition())?.[1] ?? 0);

  it('falls back to long-poll when the page cannot open a WebSocket, and subscribes, publishes, calls and registers against a WebSocket client', async () => {
    const { session } = peer;
    const fromPage: unknown[] = [];
    let pageEventArrived!: () => void;
    const pageEvent = new Promise<void>((resolve) => (pageEventArrived = resolve));
    await session.subscribe('fallback.up', (args: unknown[]) => {
      fromPage.push(args[0]);
      pageEventArrived();
    });
    await session.register('fallback.add', (args: number[]) => args[0]! + args[1]!);
    const page = await appPage(true);
    const before = opened();

    // Step 1: the page connects with the websocket-then-longpoll list and gets ready.
    const joined = await page.evaluate(async ({ ws, lp }) => {
      // The page's own state lives under `app`: names such as `closed` are taken on window.
      const state: Record<string, unknown> = {};
      (globalThis as unknown as Record<string, unknown>).app = state;
      const autobahn = (globalThis as unknown as Record<string, any>).autobahn;
      const connection = new autobahn.Connection({
        realm: 'realm1',
        max_retries: 0,
        transports: [{ type: 'websocket', url: ws }, { type: 'longpoll', url: lp }],
      });
      const events: unknown[] = [];
      state.events = events;
      state.closed = new Promise((resolve) => (connection.onclose = (reason: string) => {
        resolve(reason);
        return true;
      }));
      const details = await new Promise<{ transport: { type: string; protocol: string } }>((resolve) => {
        connection.onopen = async (session: any, details: { transport: { type: string; protocol: string } }) => {
          state.session = session;
          state.connection = connection;
          await session.subscribe('fallback.down', (args: unknown[]) => events.push(args[0]));
          await session.register('fallback.mul', (args: number[]) => args[0]! * args[1]!);
          resolve(details);
        };
        connection.open();
      });
      return details.transport;
    }, { ws: node.url, lp: `${routerHttp}/lp` });
    assert.equal(joined.type, 'longpoll');
    assert.equal(joined.protocol, 'wamp.2.json');
    assert.equal(opened(), before + 1);
    // A poll that timed out on the router's side is answered 204, and AutobahnJS simply polls again.
    await page.waitForResponse((response) => response.url().endsWith('/receive') && response.status() === 204, { timeout: 10_000 });

    // Step 2: traffic both ways between the long-poll page and the WebSocket client.
    for (const n of [1, 2, 3]) await session.publish('fallback.down', [n], {}, { acknowledge: true });
    assert.deepEqual(await session.call('fallback.mul', [3, 4]), 12);
    const fromBrowser = await page.evaluate(async () => {
      const state = (globalThis as unknown as Record<string, any>).app;
      for (let turn = 0; turn < 500 && state.events.length < 3; turn++) await new Promise((resolve) => setTimeout(resolve, 10));
      const sum = await state.session.call('fallback.add', [2, 3]);
      await state.session.publish('fallback.up', ['from the page'], {}, { acknowledge: true });
      let error: string | undefined;
      try {
        await state.session.call('fallback.missing');
      } catch (caught) {
        error = (caught as { error: string }).error;
      }
      return { events: state.events, sum, error };
    });
    assert.deepEqual(fromBrowser, { events: [1, 2, 3], sum: 5, error: 'wamp.error.no_such_procedure' });
    await pageEvent;
    assert.deepEqual(fromPage, ['from the page']);

    // Step 3: leaving closes the session and the transport cleanly.
    const reason = await page.evaluate(async () => {
      const state = (globalThis as unknown as Record<string, any>).app;
      state.connection.close();
      return state.closed;
    });
    assert.equal(reason, 'closed');
    await page.close();
  });

  it('does not fall back when the WebSocket is created but its upgrade is refused (AutobahnJS 22.x retries the WebSocket only)', async () => {
    const page = await appPage(false);
    const before = opened();
    const outcome = await page.evaluate(async ({ ws, lp }) => {
      const autobahn = (globalThis as unknown as Record<string, any>).autobahn;
      const connection = new autobahn.Connection({
        realm: 'realm1',
        max_retries: 2,
        initial_retry_delay: 0.05,
        transports: [{ type: 'websocket', url: ws }, { type: 'longpoll', url: lp }],
      });
      return new Promise<{ reason: string; attempts: number; opened: boolean }>((resolve) => {
        let attempts = 0;
        connection.onopen = () => resolve({ reason: 'open', attempts, opened: true });
        connection.onclose = (reason: string, details: { will_retry: boolean }) => {
          attempts++;
          if (!details.will_retry) resolve({ reason, attempts, opened: false });
        };
        connection.open();
      });
    }, { ws: `${node.url.replace(/\/ws$/, '')}/no-websocket-here`, lp: `${routerHttp}/lp` });
    assert.deepEqual(outcome, { reason: 'unreachable', attempts: 3, opened: false });
    assert.equal(opened(), before, 'AutobahnJS never opened a long-poll transport');
    await page.close();
  });
});
