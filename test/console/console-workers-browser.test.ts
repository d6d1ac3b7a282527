/**
 * The console of `junction start --workers 2` (the embedded default: anonymous sign-in) in
 * headless Chromium: whichever worker the page lands on, it lists both workers' sessions, each
 * with its node in a Node column that filters; the Overview has a row per worker, and a worker
 * that stops answering is shown as such while the page goes on; axe-core finds nothing on these
 * views, and they fit 1280 px. With CONSOLE_SCREENSHOTS=1 it
 * also saves the Sessions and Overview views into docs/console/.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { autobahnSerializer, openConnection, type OpenSession } from '../support/autobahn.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { freePort, projectRoot, RunningJunction } from '../support/cli.js';
import { accessibilityProblems, sideways } from './page-checks.js';
import { whileStopped, type OwnedProcess } from '../support/owned-process.js';

const screenshots = process.env.CONSOLE_SCREENSHOTS ? join(projectRoot, 'docs', 'console') : undefined;

describe('the console of junction start --workers 2 in headless Chromium', { skip: skipWithoutChromium, timeout: 120_000 }, () => {
  let junction: RunningJunction;
  let base: string;
  let chromium: LaunchedChromium;
  let workers = new Map<string, OwnedProcess>();
  const clients: (OpenSession & { id: number; node: string })[] = [];

  before(async () => {
    const port = await freePort();
    junction = RunningJunction.start(['--port', String(port), '--workers', '2']);
    workers = await junction.workers(2);
    base = `http://127.0.0.1:${port}`;
    // The parent spreads connections over the workers: connect until a client is on each (bounded).
    for (let i = 0; i < 20 && new Set(clients.map((client) => client.node)).size < 2; i++) {
      const opened = await openConnection({ url: `ws://127.0.0.1:${port}/ws`, realm: 'realm1', serializers: [autobahnSerializer('json')] },
        (reason) => new Error(`connection failed: ${reason}`));
      clients.push({ ...opened, id: Number(opened.session.id), node: String((opened.details as Record<string, unknown>).x_junction_node) });
    }
    chromium = await launchChromium();
  });

  after(async () => {
    // A test that timed out may have left one stopped.
    for (const worker of workers.values()) worker.signalIfRunning('SIGCONT');
    await Promise.all(clients.map((client) => client.close()));
    await chromium?.close();
    junction?.kill();
  });

  it('lists both workers\' sessions with a Node column that filters, and each worker in the Overview, a silent one named', async () => {
    const w1 = clients.find((client) => client.node === 'w1');
    const w2 = clients.find((client) => client.node === 'w2');
    assert.ok(w1 && w2, 'clients landed on both workers');
    const page = await chromium.context.newPage();
    page.setDefaultTimeout(10_000);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${base}/console`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const who = await page.locator('[data-who]').filter({ hasText: '· node w' }).innerText();
    const here = /· node (w\d)\b/.exec(who)![1]!;
    const elsewhere = here === 'w1' ? 'w2' : 'w1';

    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('columnheader', { name: 'Node' }).waitFor();
    for (const client of [w1, w2]) {
      const row = page.locator(`tr[data-session="${client.id}"]`);
      await row.waitFor();
      assert.equal(await row.locator('[data-node-cell]').innerText(), client.node);
    }
    assert.match(await page.locator('[data-node-totals]').innerText(), /w1: \d+ · w2: \d+/);
    if (screenshots) await page.screenshot({ path: join(screenshots, 'cluster-sessions.png'), fullPage: true });
    const found = [...(await accessibilityProblems(page)).map((problem) => `Sessions: ${problem}`)];
    const fits = { Sessions: await sideways(page) };

    // The filter keeps one node's rows.
    await page.getByLabel('Node').selectOption(elsewhere);
    const other = elsewhere === 'w1' ? w1 : w2;
    const same = elsewhere === 'w1' ? w2 : w1;
    await page.locator(`tr[data-session="${same.id}"]`).waitFor({ state: 'detached' });
    await page.locator(`tr[data-session="${other.id}"]`).waitFor();
    const nodes = await page.locator('[data-node-cell]').allInnerTexts();
    assert.ok(nodes.length > 0 && nodes.every((node) => node === elsewhere), nodes.join(','));

    await page.getByRole('link', { name: 'Overview' }).click();
    for (const node of ['w1', 'w2']) await page.locator(`[data-node-row="${node}"]`).filter({ hasText: 'MiB' }).waitFor();
    await page.locator('[data-stat="nodes"]').filter({ hasText: '2 of 2' }).waitFor();
    if (screenshots) await page.screenshot({ path: join(screenshots, 'cluster-overview.png'), fullPage: true });
    found.push(...(await accessibilityProblems(page)).map((problem) => `Overview: ${problem}`));
    Object.assign(fits, { Overview: await sideways(page) });

    // The other worker stops answering: its row says so within the question time, and the page goes on.
    await whileStopped([workers.get(elsewhere)!], async () => {
      await page.locator(`[data-node-row="${elsewhere}"]`).filter({ hasText: /No answer: .*did not answer within 2000 ms/ }).waitFor({ timeout: 15_000 });
      await page.locator('[data-stat="nodes"]').filter({ hasText: '1 of 2' }).waitFor();
      found.push(...(await accessibilityProblems(page)).map((problem) => `Overview, a node silent: ${problem}`));
      await page.getByRole('link', { name: 'Sessions' }).click();
      await page.locator(`[data-silent-node="${elsewhere}"]`).waitFor({ timeout: 15_000 });
      await page.locator(`tr[data-session="${here === 'w1' ? w1.id : w2.id}"]`).waitFor();
      found.push(...(await accessibilityProblems(page)).map((problem) => `Sessions, a node silent: ${problem}`));
    });
    assert.deepEqual(found, [], 'axe-core finds nothing on the cluster views');
    for (const [view, widths] of Object.entries(fits)) {
      assert.ok(widths.page.scrollWidth <= widths.page.clientWidth && widths.frames.length === 0, `${view} scrolls sideways at 1280 px: ${JSON.stringify(widths)}`);
    }
  });
});
