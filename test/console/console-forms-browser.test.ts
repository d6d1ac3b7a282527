/**
 * The console walked as a new user would, in headless Chromium: what it found wrong, kept fixed.
 * A table wider than the screen scrolls inside its frame (the page does not scroll sideways), a
 * long topic wraps, and each session's Kill… shows at 1280 px without scrolling; a publication or
 * call larger than the console's connection takes is refused at its form (rather than closing the
 * connection, 1009, and signing the operator out); Kill on the console's own session says what to
 * do instead of "no such session"; the Overview's charts keep the rates read while another view
 * was open; the Realms card says it counts client sessions (the Sessions card counts the bridge's
 * too); a form's last outcome leaves the screen once its fields change; the Topics table and the
 * panels below it do not touch; a topic's History shows its newest events (it showed the oldest
 * 20, unsaid); a tap of a pattern with Match exact says to choose wildcard; the dead letters
 * listed say how many there are.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { launchChromium, skipWithoutChromium, type LaunchedChromium } from '../support/chromium.js';
import { DEAD_LETTERS_SHOWN } from '../../src/console/views/forwarder.js';
import { HISTORY_SHOWN } from '../../src/console/views/topics.js';
import { forwardedTopic, operator, operatorPage, startConsoleNode, type ConsoleNode } from './fixture.js';

/** The websocket default the console path keeps (docs/console.md: "a websocket path's defaults"). */
const consoleMaxMessageSize = 1_048_576;

describe('the console walked as a new user (headless Chromium)', { skip: skipWithoutChromium, timeout: 120_000 }, () => {
  let running: ConsoleNode;
  let chromium: LaunchedChromium;
  let visitor: OpenSession;

  before(async () => {
    running = await startConsoleNode((config) => {
      config.realms[0]!.store.eventHistory.push({ uri: 'log.room', match: 'exact', limit: 100, limitBytes: 1_000_000 });
      // One attempt, at once: what the forwarder cannot deliver becomes a dead letter within moments.
      const forwarder = config.components.find((component) => component.kind === 'forwarder')!;
      if (forwarder.kind === 'forwarder') forwarder.retry = { initialDelayMs: 10, maxDelayMs: 10, maxAttempts: 1 };
    });
    chromium = await launchChromium();
    visitor = await openAutobahn(`${running.base.replace('http', 'ws')}/ws`);
    await visitor.session.subscribe('chat.room1', () => undefined);
    await visitor.session.register('com.example.echo', (args: unknown[]) => args);
  });

  after(async () => {
    await visitor?.close();
    await chromium?.close();
    await running?.stop();
  });

  const signedIn = () => operatorPage(chromium, running.base);

  it('scrolls tables inside their frame on a phone: the page does not scroll sideways', async () => {
    const page = await signedIn();
    await page.locator('.cards dt').filter({ hasText: /^Realms \(client sessions\)$/ }).waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [view, row] of [['Sessions', 'com.example.echo'], ['Topics', 'chat.room1'], ['Procedures', 'com.example.echo']] as const) {
      await page.getByRole('link', { name: view }).click();
      await page.locator('tbody tr').filter({ hasText: row }).first().waitFor();
      const widths = await page.evaluate(() => {
        const wrap = document.querySelector('.table-wrap')!;
        return { page: document.documentElement.scrollWidth, window: innerWidth, table: wrap.scrollWidth, frame: wrap.clientWidth };
      });
      assert.ok(widths.table > widths.frame, `${view}: the table is wider than its frame on a phone, or this test shows nothing: ${JSON.stringify(widths)}`);
      assert.ok(widths.page <= widths.window, `${view}: the page scrolls sideways: ${JSON.stringify(widths)}`);
    }
    await page.close();
  });

  it('wraps a long topic in the Topics table at 1280 px, so that its Tap shows without scrolling', async () => {
    const long = `chat.${'long'.repeat(100)}`;
    await visitor.session.subscribe(long, () => undefined);
    const page = await signedIn();
    await page.getByRole('link', { name: 'Topics' }).click();
    const tap = page.getByRole('button', { name: `Tap ${long}` });
    await tap.waitFor();
    const frame = (await page.locator('.table-wrap').boundingBox())!;
    const button = (await tap.boundingBox())!;
    assert.ok(button.x + button.width <= frame.x + frame.width, `Tap ends at ${button.x + button.width} px, the table's frame at ${frame.x + frame.width} px`);
    await page.close();
  });

  it("shows each session's Kill… at 1280 px without scrolling the table", async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Sessions' }).click();
    const kill = page.getByRole('button', { name: `Kill session ${visitor.session.id}` });
    await kill.waitFor();
    const frame = (await page.locator('.table-wrap').boundingBox())!;
    const button = (await kill.boundingBox())!;
    assert.ok(button.x + button.width <= frame.x + frame.width, `Kill… ends at ${button.x + button.width} px, the table's frame at ${frame.x + frame.width} px`);
    await page.close();
  });

  it("refuses a publication or call larger than the console's connection takes at its form, and stays signed in", async () => {
    const page = await signedIn();
    const big = JSON.stringify(['x'.repeat(consoleMaxMessageSize)]);
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.getByLabel('Topic', { exact: true }).fill('chat.room1');
    await page.getByLabel('Arguments', { exact: true }).fill(big);
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByRole('alert').filter({ hasText: /^Too large to send: this publish is 1,048,\d{3} bytes of JSON, and the console's connection takes messages of at most 1,048,576 bytes \(its max_message_size\)\. Nothing was sent\.$/ }).waitFor();
    await page.getByLabel('Arguments', { exact: true }).fill('["small"]');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/^Published to chat\.room1 \(publication \d+\)\.$/).waitFor();

    await page.getByRole('link', { name: 'Procedures' }).click();
    await page.getByLabel('Procedure', { exact: true }).fill('com.example.echo');
    await page.getByLabel('Arguments', { exact: true }).fill(big);
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: /^Too large to send: this call is 1,048,\d{3} bytes of JSON/ }).waitFor();
    await page.getByRole('region', { name: 'Call outcome' }).getByText('Not sent', { exact: true }).waitFor();
    await page.getByLabel('Arguments', { exact: true }).fill('["back"]');
    await page.getByRole('button', { name: 'Call', exact: true }).click();
    await page.locator('[data-call-result] pre').filter({ hasText: '"back"' }).waitFor();
    assert.equal(await page.locator('[data-who]').count(), 1, 'still signed in');
    await page.close();
  });

  it('says a ticket too long for the connection is too long, at the form, and opens no connection for it', async () => {
    const page = await chromium.context.newPage();
    page.setDefaultTimeout(10_000);
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await page.goto(`${running.base}/console`);
    await page.getByLabel('Sign-in method').selectOption({ label: 'Ticket' });
    await page.getByLabel('Auth ID').fill(operator.authid);
    await page.getByLabel('Ticket').fill('t'.repeat(consoleMaxMessageSize));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /^The ticket is too long: 1,048,576 bytes, and the console's connection takes a ticket of at most 1,048,5\d\d bytes \(its max_message_size is 1,048,576 bytes\)\. Nothing was sent\.$/ }).waitFor();
    assert.deepEqual(sockets, []);
    assert.equal(await page.getByLabel('Ticket').getAttribute('aria-invalid'), 'true');
    await page.getByLabel('Ticket').fill(operator.ticket);
    assert.equal(await page.getByLabel('Ticket').getAttribute('aria-invalid'), null, 'the refusal leaves with the text it was about');
    assert.equal(await page.getByRole('alert').count(), 0);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-who]').waitFor();
    await page.close();
  });

  it("says that Kill closes other sessions when given the console's own, and offers no Kill on its row", async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Sessions' }).click();
    const own = page.locator('tr[data-session]').filter({ hasText: 'this console' });
    await own.waitFor();
    const id = await own.getAttribute('data-session');
    assert.equal(await own.getByRole('button', { name: /^Kill session/ }).count(), 0);
    assert.equal(await page.getByRole('button', { name: `Kill session ${visitor.session.id}` }).count(), 1, 'other rows keep theirs');
    await page.getByLabel('Session ID').fill(id!);
    await page.getByRole('button', { name: 'Kill', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `Session ${id} is this console's own: Kill closes other sessions; Sign out ends this one.` }).waitFor();
    assert.equal(await page.locator('[data-who]').count(), 1, 'still signed in');
    await page.close();
  });

  it('keeps reading the rates while another view is open: back on Overview, the charts show what came meanwhile', async () => {
    const page = await signedIn();
    await page.locator('[data-stat="sessions"]').waitFor();
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.getByRole('heading', { name: /^Topics/ }).waitFor();
    for (let i = 0; i < 300; i++) visitor.session.publish('chat.room1', [i]);
    await page.waitForTimeout(4_500); // two readings of junction.node.stats after the burst
    await page.getByRole('link', { name: 'Overview' }).click();
    const peak = await page.locator('.chart').filter({ hasText: 'Messages in' }).locator('[data-peak]').innerText();
    const perSecond = Number(/peak ([\d.]+) \/s/.exec(peak)?.[1]);
    assert.ok(perSecond > 0, `Messages in shows no rate from while Topics was open: ${peak}`);
    await page.close();
  });

  it("takes a form's last outcome off the screen once its fields change", async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.getByLabel('Topic', { exact: true }).fill('wamp.reserved');
    await page.getByRole('button', { name: 'Publish' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'wamp.error.invalid_uri' });
    await refusal.waitFor();
    await page.getByLabel('Topic', { exact: true }).fill('chat.room1');
    await refusal.waitFor({ state: 'detached' });

    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByLabel('Session ID').fill('1');
    await page.getByRole('button', { name: 'Kill', exact: true }).click();
    const unknown = page.getByRole('alert').filter({ hasText: 'wamp.error.no_such_session' });
    await unknown.waitFor();
    await page.getByLabel('Reason').fill('wamp.close.maintenance');
    await unknown.waitFor({ state: 'detached' });
    await page.close();
  });

  it('leaves a gap between the Topics table and the tap and publish panels', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.getByRole('button', { name: 'Tap chat.room1' }).waitFor();
    const tableBottom = (await page.locator('.table-wrap').boundingBox())!.y + (await page.locator('.table-wrap').boundingBox())!.height;
    const panelTop = (await page.getByRole('form', { name: 'Live tap' }).boundingBox())!.y;
    assert.ok(panelTop - tableBottom >= 8, `the tap panel starts ${panelTop - tableBottom} px below the table`);
    await page.close();
  });

  it("shows a topic's newest events in its History, newest first, saying how many are kept", async () => {
    await visitor.session.subscribe('log.room', () => undefined);
    const published = HISTORY_SHOWN + 10;
    for (let i = 0; i < published; i++) await visitor.session.publish('log.room', [i], {}, { acknowledge: true });
    const page = await signedIn();
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.getByRole('button', { name: 'History of log.room' }).click();
    const panel = page.getByRole('region', { name: 'History of log.room' });
    await panel.getByText(`The newest ${HISTORY_SHOWN} event(s) of the ${published} kept, newest first.`).waitFor();
    const events = JSON.parse(await panel.locator('pre').innerText()) as { args: number[] }[];
    assert.deepEqual(events.map((event) => event.args[0]), Array.from({ length: HISTORY_SHOWN }, (_, i) => published - 1 - i));
    await page.close();
  });

  it('says to choose Match: wildcard when a tap of a pattern is asked as exact, and taps it as wildcard', async () => {
    const page = await signedIn();
    await page.getByRole('link', { name: 'Topics' }).click();
    await page.getByLabel('Tap topic').fill('sensor..temperature');
    await page.getByLabel('Match').selectOption('exact');
    await page.getByRole('button', { name: 'Tap', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: /is not a valid URI .*\. An empty component is a wildcard's: choose Match: wildcard to tap every topic it matches\.$/ }).waitFor();
    await page.getByLabel('Match').selectOption('wildcard');
    await page.getByRole('button', { name: 'Tap', exact: true }).click();
    await page.locator('[data-tap-status]').filter({ hasText: 'Tapping sensor..temperature (wildcard)' }).waitFor();
    visitor.session.publish('sensor.kitchen.temperature', [21.5]);
    await page.getByLabel('Tapped events').getByText('sensor.kitchen.temperature [21.5]').waitFor();
    await page.close();
  });

  it('says how many dead letters there are when it lists only the oldest', async () => {
    const undeliverable = DEAD_LETTERS_SHOWN + 5;
    for (let i = 0; i < undeliverable; i++) await visitor.session.publish(forwardedTopic, [i], {}, { acknowledge: true });
    const page = await signedIn();
    await page.getByRole('link', { name: 'Forwarder' }).click();
    await page.getByText(`0 pending · ${undeliverable} dead letter(s)`).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Show dead letters' }).click();
    await page.getByText(`The oldest ${DEAD_LETTERS_SHOWN} of ${undeliverable} dead letters.`).waitFor();
    assert.equal(await page.getByLabel('Dead letters').locator(':scope > li').count(), DEAD_LETTERS_SHOWN);
    await page.close();
  });
});
