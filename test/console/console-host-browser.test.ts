/**
 * The console's Host check in headless Chromium, with names resolved to 127.0.0.1 by Chromium
 * itself (--host-resolver-rules), as a DNS server would: the console signs in by 127.0.0.1 (the
 * default) and by a name listed in allowed_hosts, while a page whose name was re-pointed at
 * 127.0.0.1 (DNS rebinding) gets 421, and its own script cannot open the console's WebSocket.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { operator, startConsoleNode, type ConsoleNode } from './fixture.js';

const allowedName = 'router.example.test';
const rebound = 'evil.example';

describe('the console by host name in headless Chromium', { skip: skipWithoutChromium, timeout: 60_000 }, () => {
  let running: ConsoleNode;
  let port: string;
  let chromium: LaunchedChromium;

  before(async () => {
    running = await startConsoleNode((config) => {
      config.listeners[0]!.allowedHosts = [allowedName];
    });
    port = new URL(running.base).port;
    chromium = await launchChromium([`--host-resolver-rules=MAP ${allowedName} 127.0.0.1, MAP ${rebound} 127.0.0.1`]);
  });

  after(async () => {
    await chromium?.close();
    await running?.stop();
  });

  async function signInAt(host: string): Promise<Page> {
    const page = await chromium.context.newPage();
    page.setDefaultTimeout(10_000);
    const response = await page.goto(`http://${host}:${port}/console`);
    assert.equal(response?.status(), 200, host);
    await page.getByLabel('Sign-in method').selectOption({ label: 'Ticket' });
    await page.getByLabel('Auth ID').fill(operator.authid);
    await page.getByLabel('Ticket').fill(operator.ticket);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-who]').filter({ hasText: `${operator.authid} · role` }).waitFor();
    return page;
  }

  it('signs in by 127.0.0.1, the default', async () => {
    await (await signInAt('127.0.0.1')).close();
  });

  it('signs in by a name listed in allowed_hosts', async () => {
    await (await signInAt(allowedName)).close();
  });

  it("refuses a rebound name's page with 421, and that page's script cannot open the console's WebSocket", async () => {
    const page = await chromium.context.newPage();
    const response = await page.goto(`http://${rebound}:${port}/console`);
    assert.equal(response?.status(), 421);
    assert.match(await page.content(), /does not answer to the host name .*evil\.example.*DNS rebinding/);
    // The attacker's script runs in the origin http://evil.example:PORT, as after a rebinding.
    const outcome = await page.evaluate(async (url) => new Promise<string>((resolve) => {
      const socket = new WebSocket(url, 'wamp.2.json');
      socket.onopen = () => {
        socket.close();
        resolve('open');
      };
      socket.onerror = () => resolve('refused');
    }), `ws://${rebound}:${port}/console/ws`);
    assert.equal(outcome, 'refused');
    await page.close();
  });
});
