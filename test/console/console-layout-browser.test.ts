/**
 * The console's layout at 1280x800 with what a busy realm shows: long URIs, long auth IDs, many
 * rows, a registration shared by many callees. No view may scroll the page sideways, nor its
 * tables inside their frames: long text wraps, or is cut with an ellipsis and shown whole on
 * hover (title) and to a screen reader.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '../../src/client/index.js';
import type { Session } from '../../src/client/session.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { operatorPage, startConsoleNode, type ConsoleNode } from './fixture.js';
import { sideways } from './page-checks.js';

/** A URI as long as a client may well name one: many dotted components, no space to break at. */
const longUri = (prefix: string, i: number) => `${prefix}.${'segment'.repeat(12)}.${'component_without_a_break_'.repeat(6)}${i}`;
const longAuthid = `operator-${'with-a-very-long-name-'.repeat(12)}`;
const longRole = `operator-${'role'.repeat(40)}`;
/** A WebSocket path of the node's, named long: the Sessions view names a session's door by it. */
const longPath = `/ws-${'door'.repeat(40)}`;
const longTicket = 'long-authid-ticket-3f';
/** Sessions sharing one registration (invoke roundrobin): its Callees cell lists every one. */
const sharingCallees = 12;
const rowsEach = 40;

describe('the console at 1280x800 with long URIs and many rows (headless Chromium)', { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  let running: ConsoleNode;
  let chromium: LaunchedChromium;
  const sessions: Session[] = [];

  before(async () => {
    running = await startConsoleNode((config) => {
      const consolePath = config.listeners[0]!.paths['/console'] as { auth: { ticket: { principals: Record<string, { ticket: string; role: string }> } } };
      consolePath.auth.ticket.principals[longAuthid] = { ticket: longTicket, role: longRole };
      const realm = config.realms[0]!;
      realm.roles.push({ ...realm.roles.find((role) => role.name === 'operator')!, name: longRole });
      const paths = config.listeners[0]!.paths;
      paths[longPath] = paths['/ws']!;
      const forwarder = config.components.find((component) => component.kind === 'forwarder')!;
      if (forwarder.kind === 'forwarder') forwarder.subscriptions.push({ topic: longUri('orders', 0), match: 'exact', url: `http://127.0.0.1:9/hooks/${'path-segment/'.repeat(20)}orders` });
    });
    const ws = `${running.base.replace('http', 'ws')}`;
    const open = async (path: string, auth?: Parameters<typeof connect>[0]['auth']) => {
      const session = await connect({ url: `${ws}${path}`, realm: 'realm1', reconnect: false, ...(auth ? { auth } : {}) });
      sessions.push(session);
      return session;
    };
    const busy = await open(longPath);
    for (let i = 0; i < rowsEach; i++) {
      await busy.subscribe(longUri('com.example.topic', i), () => undefined, { match: i % 3 === 0 ? 'exact' : i % 3 === 1 ? 'prefix' : 'wildcard' });
      await busy.register(longUri('com.example.procedure', i), () => [], { match: i % 2 === 0 ? 'exact' : 'prefix' });
    }
    for (let i = 0; i < sharingCallees; i++) {
      const callee = await open('/ws');
      await callee.register(longUri('com.example.shared', 0), () => [], { invoke: 'roundrobin' });
      await callee.subscribe(longUri('com.example.topic', 0), () => undefined);
    }
    await open('/console/ws', { method: 'ticket', authid: longAuthid, ticket: longTicket });
    // Held by the forwarder (its next attempt is a minute away): its queue's row shows the long URL and topic.
    await busy.publish(longUri('orders', 0), ['order'], {}, { acknowledge: true });
    chromium = await launchChromium();
  });

  after(async () => {
    for (const session of sessions) await session.leave().catch(() => undefined);
    await chromium?.close();
    await running?.stop();
  });

  const signedIn = () => operatorPage(chromium, running.base, 800);

  const views = [
    { view: 'Overview', ready: '[data-stat="sessions"]' },
    { view: 'Sessions', ready: `tr[data-session]:has-text("${longAuthid.slice(0, 40)}")` },
    { view: 'Topics', ready: `tbody tr:has-text("${longUri('com.example.topic', rowsEach - 1)}")` },
    { view: 'Procedures', ready: `tbody tr:has-text("${longUri('com.example.shared', 0)}")` },
    { view: 'Forwarder', ready: 'tbody tr:has-text("path-segment")' },
    { view: 'Configuration', ready: 'pre.json' },
  ];

  it('scrolls no view sideways, neither the page nor a table inside its frame', async () => {
    const page = await signedIn();
    const found: string[] = [];
    for (const { view, ready } of views) {
      await page.getByRole('link', { name: view, exact: true }).click();
      await page.locator(ready).first().waitFor();
      const widths = await sideways(page);
      if (widths.page.scrollWidth > widths.page.clientWidth || widths.frames.length > 0) found.push(`${view}: ${JSON.stringify(widths)}`);
    }
    assert.deepEqual(found, []);
    await page.close();
  });

  it("cuts a long auth ID with an ellipsis, whole on hover (title) and on focus; a short one takes no focus", async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Sessions', exact: true }).click();
    const long = page.locator('.cut').filter({ hasText: longAuthid });
    await long.waitFor();
    assert.equal(await long.getAttribute('title'), longAuthid);
    const shown = () => long.evaluate((element) => ({ cut: element.scrollWidth > element.clientWidth, height: element.clientHeight }));
    const before = await shown();
    assert.equal(before.cut, true, 'the long auth ID is cut');
    await long.focus();
    const focused = await shown();
    assert.deepEqual({ cut: focused.cut, taller: focused.height > before.height }, { cut: false, taller: true }, 'focused, it shows whole on several lines');
    const short = page.locator('.cut').filter({ hasText: /^op$/ });
    assert.equal(await short.getAttribute('tabindex'), null);
    assert.equal(await short.getAttribute('title'), null);
    await page.close();
  });
});
