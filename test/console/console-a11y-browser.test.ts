/**
 * The console as a keyboard-only and screen-reader user meets it, in headless Chromium: axe-core
 * (WCAG 2.1 A and AA rules) finds nothing on the sign-in form and on every view with its panels
 * open, in light and dark mode, and no live region holds a list or JSON; the Tab key moves in
 * document order with the focus always showing, and to the view a link opens; History, Kill… and
 * Try send the focus to their panel or form and Escape gives it back; the tap announces whether it
 * taps, not its counts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { forwardedTopic, operator, operatorPage, startConsoleNode, type ConsoleNode } from './fixture.js';
import { accessibilityProblems } from './page-checks.js';

/** Events tapped, and progressive results of a call: enough to scroll their lists. */
const tappedEvents = 40;

describe('the console checked by axe-core (headless Chromium)', { skip: skipWithoutChromium, timeout: 180_000 }, () => {
  let running: ConsoleNode;
  let chromium: LaunchedChromium;
  let visitor: OpenSession;

  before(async () => {
    running = await startConsoleNode((config) => {
      config.realms[0]!.store.eventHistory.push({ uri: 'log.room', match: 'exact', limit: 100, limitBytes: 1_000_000 });
    });
    chromium = await launchChromium();
    visitor = await openAutobahn(`${running.base.replace('http', 'ws')}/ws`);
    await visitor.session.subscribe('chat.room1', () => undefined);
    await visitor.session.subscribe('log.room', () => undefined);
    await visitor.session.register('com.example.echo', (args: unknown[]) => args);
    await visitor.session.register('com.example.count', (_args: unknown[], _kwargs: unknown, details: { progress?: (args: unknown[]) => void }) => {
      for (let n = 0; n < tappedEvents; n++) details.progress?.([n]);
      return 'counted';
    });
    await visitor.session.publish('log.room', ['kept'], {}, { acknowledge: true });
    await visitor.session.publish(forwardedTopic, ['queued'], {}, { acknowledge: true });
  });

  after(async () => {
    await visitor?.close();
    await chromium?.close();
    await running?.stop();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`finds nothing on the sign-in form and every view, ${colorScheme}`, async () => {
      const page = await chromium.context.newPage();
      page.setDefaultTimeout(10_000);
      await page.emulateMedia({ colorScheme });
      await page.setViewportSize({ width: 1280, height: 800 });
      const found: string[] = [];
      const check = async (where: string) => found.push(...(await accessibilityProblems(page)).map((text) => `${where}: ${text}`));

      await page.goto(`${running.base}/console`);
      await page.getByLabel('Sign-in method').selectOption({ label: 'Ticket' });
      await page.getByLabel('Auth ID').fill(operator.authid);
      await page.getByLabel('Ticket').fill('not-the-ticket');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      await check('sign-in, refused');
      await page.getByLabel('Ticket').fill(operator.ticket);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('[data-stat="sessions"]').waitFor();
      await check('Overview');

      await page.getByRole('link', { name: 'Sessions' }).click();
      await page.locator(`tr[data-session="${visitor.session.id}"]`).waitFor();
      await page.getByLabel('Session ID').fill('1');
      await page.getByRole('button', { name: 'Kill', exact: true }).click();
      await page.getByRole('alert').waitFor();
      await check('Sessions');

      await page.getByRole('link', { name: 'Topics' }).click();
      await page.getByRole('button', { name: 'History of log.room' }).click();
      await page.getByRole('region', { name: 'History of log.room' }).waitFor();
      await page.getByRole('button', { name: 'Tap chat.room1' }).click();
      await page.locator('[data-tap-status]').filter({ hasText: 'Tapping chat.room1' }).waitFor();
      // More than the list shows without scrolling: it scrolls inside its frame.
      for (let n = 0; n < tappedEvents; n++) visitor.session.publish('chat.room1', ['tapped', n]);
      await page.getByLabel('Tapped events').getByText(`["tapped",${tappedEvents - 1}]`).waitFor();
      await page.getByLabel('Arguments', { exact: true }).fill('[1,');
      await check('Topics');

      await page.getByRole('link', { name: 'Procedures' }).click();
      await page.getByRole('button', { name: 'Try com.example.count' }).click();
      await page.getByLabel('Receive progress').check();
      await page.getByRole('button', { name: 'Call', exact: true }).click();
      await page.locator('[data-call-result]').waitFor();
      await check('Procedures');

      await page.getByRole('link', { name: 'Forwarder' }).click();
      await page.getByRole('button', { name: 'Show dead letters' }).click();
      await page.getByRole('region', { name: 'Forwarder orders' }).locator('tbody tr').waitFor();
      await check('Forwarder');

      await page.getByRole('link', { name: 'Configuration' }).click();
      await page.getByLabel('Configuration JSON').waitFor();
      await check('Configuration');
      assert.deepEqual(found, []);
      await page.close();
    });
  }

  const signedIn = () => operatorPage(chromium, running.base, 800);

  /** The focused element: its tag and name, its place in document order, and whether its focus shows. */
  const focused = (page: Page) => page.evaluate(() => {
    const element = document.activeElement as HTMLElement;
    const all = [...document.querySelectorAll('*')];
    const style = getComputedStyle(element);
    const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    return { what: `${element.tagName.toLowerCase()} ${element.getAttribute('aria-label') ?? element.id ?? ''} ${element.textContent?.trim().slice(0, 30) ?? ''}`, order: all.indexOf(element), ring };
  });

  it('moves the focus in document order with the Tab key, every stop visibly, and to the view that a link opens', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Topics' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Tap chat.room1' }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'the view opened takes the focus');
    const stops: { what: string; order: number; ring: boolean }[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const stop = await focused(page);
      if (stop.order < (stops.at(-1)?.order ?? 0)) break;
      stops.push(stop);
    }
    assert.match(stops.at(-1)?.what ?? '', /Publish$/, `Tab went through the Topics view to its last control: ${JSON.stringify(stops)}`);
    assert.match(stops[0]!.what, /Topic|History|Retained|Tap/, `the first stop after the link is in the view: ${stops[0]!.what}`);
    assert.deepEqual(stops.filter((stop) => !stop.ring).map((stop) => stop.what), [], 'focus shows on every stop');
    assert.equal(await page.locator('[tabindex]:not([tabindex="0"]):not([tabindex="-1"])').count(), 0, 'no tabindex reorders the Tab key');
    await page.close();
  });

  it('gives a History panel the focus, closes it with Escape and gives the focus back to its button', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Topics' }).click();
    const button = page.getByRole('button', { name: 'History of log.room' });
    await button.focus();
    await page.keyboard.press('Enter');
    const panel = page.getByRole('region', { name: 'History of log.room' });
    await panel.waitFor();
    await page.waitForFunction(() => document.activeElement?.tagName === 'H3');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'History of log.room');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    assert.equal(await button.evaluate((element) => element === document.activeElement), true, 'the focus is back on the History button');
    await page.close();
  });

  it("announces whether the tap taps, not its counts (a live region read at every event)", async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.getByRole('button', { name: 'Tap chat.room1' }).click();
    await page.locator('[data-tap-status]').filter({ hasText: 'Tapping chat.room1' }).waitFor();
    visitor.session.publish('chat.room1', ['counted']);
    await page.locator('[data-tap-status]').filter({ hasText: '1 received' }).waitFor();
    const live = await page.locator('[data-tap-status] [role="status"], [data-tap-status][role="status"], [data-tap-status][aria-live]').allInnerTexts();
    assert.deepEqual(live, ['Tapping chat.room1 (exact)']);
    await page.close();
  });

  it('sends the focus from Kill… and Try to their form, and back to the button with Escape', async () => {
    const page = await signedIn();
    const isFocused = (locator: ReturnType<Page['getByRole']>) => locator.evaluate((element) => element === document.activeElement);
    for (const { view, button, field } of [
      { view: 'Sessions', button: `Kill session ${visitor.session.id}`, field: 'Reason' },
      { view: 'Procedures', button: 'Try com.example.echo', field: 'Arguments' },
    ]) {
      await page.getByRole('link', { name: view }).click();
      const opener = page.getByRole('button', { name: button });
      await opener.focus();
      await page.keyboard.press('Enter');
      assert.equal(await isFocused(page.getByLabel(field, { exact: true })), true, `${view}: ${button} sends the focus to ${field}`);
      await page.keyboard.press('Escape');
      assert.equal(await isFocused(opener), true, `${view}: Escape gives the focus back to ${button}`);
    }
    await page.close();
  });

  it("lets the keyboard scroll a table that is wider than a phone's screen, and only then", async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.locator(`tr[data-session="${visitor.session.id}"]`).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Sessions table' }).count(), 0, 'at 1280 px the table fits: no stop for it');
    await page.setViewportSize({ width: 390, height: 844 });
    const frame = page.getByRole('region', { name: 'Sessions table' });
    await frame.waitFor();
    assert.equal(await frame.getAttribute('tabindex'), '0');
    await frame.focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => document.querySelector('.table-wrap')!.scrollLeft > 0);
    assert.deepEqual(await accessibilityProblems(page), []);
    await page.close();
  });
});
