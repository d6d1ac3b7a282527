/**
 * The console of `junction start --workers 2` (the embedded default: anonymous sign-in) in
 * headless Chromium: each worker is a node that lists its own sessions, so the page's header says
 * which node it is connected to, and that node's list holds the console's own session.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { freePort, RunningJunction } from '../support/cli.js';

describe('the console of junction start --workers 2 in headless Chromium', { skip: skipWithoutChromium, timeout: 90_000 }, () => {
  let junction: RunningJunction;
  let base: string;
  let chromium: LaunchedChromium;

  before(async () => {
    const port = await freePort();
    junction = RunningJunction.start(['--port', String(port), '--workers', '2']);
    for (const node of ['w1', 'w2']) await junction.started((line) => line.msg === 'worker serving' && line.node === node);
    base = `http://127.0.0.1:${port}`;
    chromium = await launchChromium();
  });

  after(async () => {
    await chromium?.close();
    junction?.kill();
  });

  it('names the node it shows beside the session, and lists that node\'s sessions', async () => {
    const shown = new Set<string>();
    // The parent spreads connections over the workers: sign in until both have answered (bounded).
    for (let attempt = 0; attempt < 12 && shown.size < 2; attempt++) {
      const page = await chromium.context.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(`${base}/console`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const who = await page.locator('[data-who]').filter({ hasText: '· node w' }).innerText();
      const node = /· node (w\d)\b/.exec(who)![1]!;
      const session = /session (\d+)/.exec(who)![1]!;
      shown.add(node);
      await page.getByRole('link', { name: 'Sessions' }).click();
      await page.getByRole('cell', { name: new RegExp(`^${session}`) }).waitFor();
      await page.close();
    }
    assert.deepEqual([...shown].sort(), ['w1', 'w2']);
  });
});
