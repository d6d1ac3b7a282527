import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseConfig } from '../../config/load.js';
import type { JunctionConfig } from '../../config/model.js';
import type { RunningNode } from '../node.js';
import { openAutobahn, type OpenSession } from '../../../test/support/autobahn.js';
import { startTestNode, testConfig } from '../../../test/support/node.js';
import { nodeInfo, type NodeInfo } from './nodeinfo.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const secretTicket = 'TICKET-SECRET-f00d';

/** realm1 and realm2; /ws also takes a ticket whose secret must never show; /info is nodeinfo. */
function configWithSecrets(): JunctionConfig {
  const config = testConfig();
  config.realms.push({ ...config.realms[0]!, name: 'realm2' });
  const ws = config.listeners[0]!.paths['/ws']!;
  if (ws.type !== 'websocket') throw new Error('expected the websocket path');
  ws.auth.ticket = { type: 'static', principals: { alice: { ticket: secretTicket, role: 'anonymous' } } };
  config.listeners[0]!.paths['/info'] = { type: 'nodeinfo' };
  config.listeners[0]!.paths['/health'] = { type: 'health' };
  return config;
}

describe('nodeinfo path service', () => {
  let node: RunningNode & { url: string };
  let url: string;
  const clients: OpenSession[] = [];

  before(async () => {
    node = await startTestNode(configWithSecrets());
    url = `http://127.0.0.1:${node.ports.get('test')}/info`;
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await node?.stop();
  });

  it('reports name, version, start time, uptime, realms with session counts and transports', async () => {
    clients.push(await openAutobahn(node.url), await openAutobahn(node.url));
    clients.push(await openAutobahn(node.url, 'json', { realm: 'realm2' }));
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const info = (await response.json()) as NodeInfo;
    assert.equal(info.name, 'junction');
    assert.equal(info.version, packageVersion);
    assert.ok(Date.parse(info.started) <= Date.now());
    assert.equal(typeof info.uptime_seconds, 'number');
    assert.ok(info.uptime_seconds >= 0);
    // The meta API's own session is not a client: counts are of client sessions only.
    assert.deepEqual(info.realms, [{ name: 'realm1', sessions: 2 }, { name: 'realm2', sessions: 1 }]);
    assert.deepEqual(info.transports, [{ id: 'test', kind: 'web', paths: { '/ws': 'websocket', '/info': 'nodeinfo', '/health': 'health' } }]);
  });

  it('never shows auth settings or secrets', async () => {
    const text = await (await fetch(url)).text();
    assert.doesNotMatch(text, new RegExp(secretTicket));
    assert.doesNotMatch(text, /alice|ticket|principal|127\.0\.0\.1/);
  });

  it('answers HEAD and refuses POST', async () => {
    assert.equal((await fetch(url, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(url, { method: 'POST' })).status, 405);
  });
});

describe('nodeInfo', () => {
  it('computes uptime in whole seconds from the start time', () => {
    const config = testConfig();
    // The node's own sessions (meta API, HTTP bridge) are not the realm's clients.
    const router = { realmNames: () => ['r'], realm: () => ({ sessionCounts: () => ({ client: 1, internal: 2 }) }) };
    const startedAt = new Date('2024-01-01T00:00:00.000Z');
    const info = nodeInfo({ router, config, startedAt } as unknown as Parameters<typeof nodeInfo>[0], '9.9.9', startedAt.getTime() + 61_999);
    assert.equal(info.started, '2024-01-01T00:00:00.000Z');
    assert.equal(info.uptime_seconds, 61);
    assert.equal(info.version, '9.9.9');
    assert.deepEqual(info.realms, [{ name: 'r', sessions: 1 }]);
  });

  it('shows nothing of the cluster, TLS, components or auth settings: names and counts only', () => {
    const config = parseConfig({
      version: 2,
      workers: [{
        type: 'router',
        realms: [{ name: 'r', roles: [{ name: 'ops', permissions: [] }] }],
        cluster: { redis: { url: 'redis://u:redis-pw-beef@redis.internal:6379/0' } },
        transports: [{
          type: 'web', endpoint: { type: 'tcp', port: 0, tls: { key: '/keys/tls-key-beef.pem', certificate: '/keys/cert-beef.crt' } },
          paths: { ws: { type: 'websocket', auth: { wampcra: { type: 'static', users: { bob: { secret: 'cra-beef', role: 'ops' } } } } } },
        }],
        components: [{ type: 'class', id: 'orders', classname: 'crossbar.bridge.rest.MessageForwarder', realm: 'r',
          extra: { subscriptions: [{ topic: 'orders.new', url: 'https://app.example/hook?api_key=key-beef' }] } }],
      }],
    }, { source: 'test', env: {} });
    const router = { realmNames: () => ['r'], realm: () => ({ sessionCounts: () => ({ client: 0, internal: 0 }) }) };
    const text = JSON.stringify(nodeInfo({ router, config, startedAt: new Date() } as unknown as Parameters<typeof nodeInfo>[0], '1'));
    assert.doesNotMatch(text, /beef|redis|keys|app\.example|bob/, text);
  });
});
