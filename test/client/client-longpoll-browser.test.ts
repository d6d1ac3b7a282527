/**
 * The browser bundles in headless Chromium with `transports: [websocket, longpoll]` where the
 * router refuses the page's WebSocket (no WebSocket service at that path: the upgrade is
 * answered 404), or where the page has no WebSocket at all. The client falls back to long-poll (fetch, cross-origin: the page and the
 * router are on different ports), loading the long-poll code from chunks/ on demand, and then
 * receives an event, calls and leaves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { connect, type Session } from '../../src/client/index.js';
import { launchChromium, serveBrowserBundles, skipWithoutChromium, type BundleServer, type LaunchedChromium } from '../support/chromium.js';
import { startTestNode, testConfig, testLongPoll } from '../support/node.js';

const longPoll = testLongPoll({ serializers: ['json'], requestTimeoutMs: 300 });

/** What the page keeps on globalThis between evaluate calls. */
interface PageState {
  session: Session;
  events: unknown[];
  eventArrived: Promise<void>;
}

describe('client long-poll fallback in headless Chromium', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let chromium: LaunchedChromium;
  let bundles: BundleServer;
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let routerHttp: string;
  let peer: Session;

  before(async () => {
    const config = testConfig();
    config.listeners[0]!.paths['/lp'] = longPoll;
    node = await startTestNode(config);
    routerHttp = `http://127.0.0.1:${node.ports.get('test')}`;
    peer = await connect({ url: node.url, realm: 'realm1', reconnect: false });
    await peer.register('page.double', ([n]: [number]) => 2 * n);
    bundles = await serveBrowserBundles('long-poll fallback');
    chromium = await launchChromium();
  });

  after(async () => {
    await peer?.leave();
    await chromium?.close();
    await bundles?.close();
    await node?.stop();
  });

  const cases = [
    { bundle: 'junction-client.min.js', noWebSocket: false },
    { bundle: 'junction-client.full.min.js', noWebSocket: false },
    // A web view without WebSocket: the router's WebSocket URL is a good one, the page cannot use it.
    { bundle: 'junction-client.min.js', noWebSocket: true },
  ];
  for (const { bundle, noWebSocket } of cases) {
    const why = noWebSocket ? 'a page without WebSocket' : 'the refused WebSocket';
    it(`${bundle}: ${why} gives way to long-poll, which receives an event`, async () => {
      const page: Page = await chromium.context.newPage();
      if (noWebSocket) await page.addInitScript(() => Reflect.deleteProperty(globalThis, 'WebSocket'));
      const fetched: string[] = [];
      page.on('request', (request) => fetched.push(new URL(request.url()).pathname));
      await page.goto(`${bundles.origin}/`);
      const webSocketUrl = noWebSocket ? node.url : `${node.url.replace(/\/ws$/, '')}/no-websocket-here`;

      const sessionId = await page.evaluate(
        async ({ bundle, ws, lp }) => {
          const client = await import(`/${bundle}`);
          const session: Session = await client.connect({
            transports: [{ type: 'websocket', url: ws }, { type: 'longpoll', url: lp }],
            realm: 'realm1',
            reconnect: false,
          });
          const state: Partial<PageState> & { events: unknown[] } = { session, events: [] };
          state.eventArrived = new Promise<void>((resolve) =>
            session.subscribe('page.news', (args: unknown[]) => {
              state.events.push(args[0]);
              resolve();
            }),
          );
          await session.subscribe('page.ready'); // the subscription above is in place once this one is
          (globalThis as unknown as { lpTest: typeof state }).lpTest = state;
          return session.id;
        },
        { bundle, ws: webSocketUrl, lp: `${routerHttp}/lp` },
      );

      const { args } = await peer.call<[number], {}, [{ transport: { type: string; serializer: string } }]>('wamp.session.get', [sessionId]);
      assert.deepEqual([args[0].transport.type, args[0].transport.serializer], ['longpoll', 'json']);
      await peer.publish('page.news', ['hello, long-poll page'], {}, { acknowledge: true });

      const outcome = await page.evaluate(async () => {
        const state = (globalThis as unknown as { lpTest: PageState }).lpTest;
        const within = (promise: Promise<unknown>, what: string) => Promise.race([
          promise,
          new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000)),
        ]);
        await within(state.eventArrived, 'the event');
        const doubled = (await state.session.call('page.double', [21])).args;
        await state.session.leave();
        return { events: state.events, doubled, state: state.session.state };
      });
      assert.deepEqual(outcome, { events: ['hello, long-poll page'], doubled: [42], state: 'closed' });
      assert.ok(fetched.some((path) => /^\/chunks\/longpoll-[A-Z0-9]+\.js$/.test(path)), `the long-poll chunk was loaded: ${fetched.join(' ')}`);
      assert.ok(fetched.includes('/lp/open') && fetched.some((path) => path.endsWith('/receive')), fetched.join(' '));
      await page.close();
    });
  }
});
