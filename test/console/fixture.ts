/**
 * A node for the console's tests, from a config document as a user would write it: realm1 with an
 * "operator" role (everything), a read-only "viewer" role (may subscribe and call the listings,
 * nothing else) and "anonymous" for the AutobahnJS clients on /ws; the console at /console signs
 * operators in with a ticket and viewers with WAMP-CRA. A forwarder ("orders") posts orders.new
 * to a closed port, so it has a queue to show; a program ("report", never run) takes secrets as options.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { JunctionConfig } from '../../src/config/model.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { silentLogger } from '../../src/router/log.js';
import type { Page } from 'playwright-core';
import type { LaunchedChromium } from '../support/chromium.js';

export const operator = { authid: 'op', ticket: 'op-ticket-5d1' };
/** Sent by the forwarder as a header: a secret the console must never show. */
export const forwarderToken = 'Bearer forwarder-token-77';
/** In the forwarder's URL's query, as an app's webhook may want it: shown masked, never as it is. */
export const forwarderApiKey = 'forwarder-api-key-31';
/** The forwarder delivers orders.new to a port nothing listens on, so its queue and attempts show. */
export const forwardedTopic = 'orders.new';
export const viewer = { authid: 'watcher', secret: 'watcher-secret-9a' };
/** Given to the "report" program as `--password=...` and `--token ...`: the console shows the options, never these. */
export const programPassword = 'program-password-42';
export const programToken = 'program-token-8c';

const everything = { call: true, register: true, publish: true, subscribe: true };
const nothing = { call: false, register: false, publish: false, subscribe: false };

export function consoleConfig(): JunctionConfig {
  return parseConfig({
    version: 2,
    workers: [{
      type: 'router',
      realms: [{
        name: 'realm1',
        roles: [
          { name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: everything }] },
          { name: 'operator', permissions: [{ uri: '', match: 'prefix', allow: everything }] },
          {
            name: 'viewer',
            permissions: [
              { uri: '', match: 'prefix', allow: { ...nothing, subscribe: true } },
              { uri: 'junction.', match: 'prefix', allow: { ...nothing, call: true } },
              { uri: 'junction.config.get', match: 'exact', allow: nothing },
            ],
          },
        ],
      }],
      transports: [{
        type: 'web',
        endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0 },
        paths: {
          ws: { type: 'websocket' },
          // The bridge's session is listed on the Sessions page, and so counted by the overview.
          publish: { type: 'publisher', realm: 'realm1', role: 'anonymous' },
          console: {
            type: 'console',
            realm: 'realm1',
            auth: {
              ticket: { type: 'static', principals: { [operator.authid]: { ticket: operator.ticket, role: 'operator' } } },
              wampcra: { type: 'static', users: { [viewer.authid]: { secret: viewer.secret, role: 'viewer' } } },
            },
          },
        },
      }],
      components: [{
        type: 'class',
        id: 'orders',
        classname: 'crossbar.bridge.rest.MessageForwarder',
        realm: 'realm1',
        extra: {
          subscriptions: [{ topic: forwardedTopic, url: `http://127.0.0.1:9/hooks/orders?api_key=${forwarderApiKey}` }],
          headers: { Authorization: forwarderToken },
          retry: { initial_delay: 60_000 },
        },
      }, {
        type: 'process',
        id: 'report',
        realm: 'realm1',
        procedure: 'com.example.report',
        command: [process.execPath, 'report.js', `--password=${programPassword}`, '--token', programToken],
      }],
    }],
  }, { source: 'console test', env: {} });
}

export interface ConsoleNode {
  node: RunningNode;
  /** http://127.0.0.1:PORT */
  base: string;
  stop(): Promise<void>;
}

/**
 * Starts the node on a free port with a data folder of its own (the forwarder's outbox), removed at
 * stop; `edit` changes the configuration first.
 */
export async function startConsoleNode(edit: (config: JunctionConfig) => void = () => undefined): Promise<ConsoleNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-console-'));
  const config = consoleConfig();
  edit(config);
  const node = await startNode(config, { log: silentLogger, shutdownGraceMs: 200, dataDir });
  return {
    node,
    base: `http://127.0.0.1:${[...node.ports.values()][0]}`,
    stop: async () => {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A new tab of `chromium` on the console at `base`, 1280 px wide and `height` tall, signed in as the operator. */
export async function operatorPage(chromium: LaunchedChromium, base: string, height = 720): Promise<Page> {
  const page = await chromium.context.newPage();
  page.setDefaultTimeout(15_000);
  await page.setViewportSize({ width: 1280, height });
  await page.goto(`${base}/console`);
  await page.getByLabel('Sign-in method').selectOption({ label: 'Ticket' });
  await page.getByLabel('Auth ID').fill(operator.authid);
  await page.getByLabel('Ticket').fill(operator.ticket);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-who]').waitFor();
  return page;
}
