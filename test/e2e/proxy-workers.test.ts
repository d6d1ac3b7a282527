import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, WampError } from '../../src/client/index.js';
import { cborCodec } from '../../src/codec/index.js';
import { openAutobahn, openConnection, type OpenSession } from '../support/autobahn.js';
import { freePort, runJunction, RunningJunction } from '../support/cli.js';
import { waitFor } from '../support/wait.js';
import { RawSocketConnection } from '../transport/behaviour/drivers/rawsocket.js';

/**
 * Crossbar's proxy workers, as in crossbar-examples/proxy (config6's cryptosign backend over
 * TCP): two proxy workers open one port ("shared": true) and hand their clients to the router
 * worker's RawSocket backend transport. Junction serves them from the router itself; the
 * proxies' routes decide which realm and role their clients may reach.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-proxy-workers-'));
const running: RunningJunction[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  rmSync(home, { recursive: true, force: true });
});

const proxyKey = 'ee07d793bc3031374e4419c46b6a2e7656b54e290dce7bd22f6c32a5141999f5';
const demoPrefix = (uri: string) => ({ uri, match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true }, disclose: { caller: true, publisher: true }, cache: true });

function crossbarProxyConfig(proxyPort: number, backendPort: number): object {
  const proxy = {
    type: 'proxy',
    options: {},
    connections: {
      conn1: {
        transport: { type: 'rawsocket', endpoint: { type: 'tcp', host: 'localhost', port: backendPort }, serializer: 'cbor', url: `rs://localhost:${backendPort}` },
        auth: { 'cryptosign-proxy': { type: 'static' } },
      },
    },
    routes: { realm1: { anonymous: 'conn1', user: 'conn1' } },
    transports: [{
      type: 'web',
      endpoint: { type: 'tcp', interface: '127.0.0.1', port: proxyPort, shared: true, backlog: 1024 },
      paths: {
        '/': { type: 'nodeinfo' },
        ws: {
          type: 'websocket',
          serializers: ['cbor', 'msgpack', 'json'],
          auth: {
            anonymous: { type: 'static', role: 'anonymous' },
            ticket: { type: 'static', principals: { user1: { ticket: 'secret1', role: 'user' }, boss: { ticket: 'secret2', role: 'admin' } } },
          },
        },
      },
    }],
  };
  return {
    version: 2,
    controller: { id: 'node1' },
    workers: [
      {
        type: 'router',
        realms: [
          { name: 'realm1', roles: [
            { name: 'anonymous', permissions: [demoPrefix('io.crossbar.demo.public.')] },
            { name: 'user', permissions: [demoPrefix('io.crossbar.demo.')] },
            { name: 'admin', permissions: [demoPrefix('')] },
          ] },
          { name: 'realm2', roles: [{ name: 'anonymous', 'allow-by-default': true }] },
        ],
        transports: [{
          type: 'rawsocket',
          endpoint: { type: 'tcp', interface: '127.0.0.1', port: backendPort },
          serializers: ['cbor'],
          auth: {
            'anonymous-proxy': { type: 'static' },
            'cryptosign-proxy': { type: 'static', principals: { mynode1: { realm: 'realm1', role: 'anonymous', authorized_keys: [proxyKey] } } },
          },
        }],
      },
      proxy,
      proxy,
    ],
  };
}

describe('Crossbar proxy workers', { timeout: 120_000 }, () => {
  let url = '';
  let backendPort = 0;
  let configPath = '';
  before(async () => {
    const proxyPort = await freePort();
    backendPort = await freePort();
    configPath = join(home, 'config.json');
    writeFileSync(configPath, JSON.stringify(crossbarProxyConfig(proxyPort, backendPort)));
    const junction = RunningJunction.start(['--config', configPath]);
    running.push(junction);
    await junction.started((line) => line.msg === 'listening' && line.service === 'websocket');
    url = `ws://127.0.0.1:${proxyPort}/ws`;
  });

  it('loads with one listener for the two proxy workers on one port, saying so', async () => {
    const checked = await runJunction(['check', '--config', configPath]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /ok \(2 realms, 2 transports\)/);
    assert.match(checked.stdout, /workers\[2\]\.transports\[0\]: the same transport as workers\[1\]\.transports\[0\].*--workers.*\[config\.notice\.proxies_merged\]/);
  });

  it('serves pub/sub and calls between our client (anonymous) and AutobahnJS (ticket) through the proxy port', async () => {
    const ours = await connect({ url, realm: 'realm1', reconnect: false });
    let autobahn: OpenSession | undefined;
    try {
      assert.equal(ours.details.authrole, 'anonymous');
      autobahn = await openAutobahn(url, 'cbor', { authmethods: ['ticket'], authid: 'user1', onchallenge: () => 'secret1' });
      const events: unknown[] = [];
      await autobahn.session.subscribe('io.crossbar.demo.public.news', (args: unknown[]) => events.push(args[0]));
      await ours.register('io.crossbar.demo.public.add2', (args) => (args[0] as number) + (args[1] as number));
      await ours.publish('io.crossbar.demo.public.news', ['hello'], {}, { acknowledge: true });
      await waitFor(() => events.length === 1, 'the event');
      assert.deepEqual(events, ['hello']);
      assert.equal(await autobahn.session.call('io.crossbar.demo.public.add2', [2, 3]), 5);
      // The user role reaches what anonymous may not: the router's own permissions still apply.
      await assert.rejects(ours.publish('io.crossbar.demo.private', [], {}, { acknowledge: true }), (error: WampError) => error.uri === 'wamp.error.not_authorized');
    } finally {
      await autobahn?.close();
      await ours.leave();
    }
  });

  it('refuses a realm without a route, as Crossbar: no_such_realm', async () => {
    await assert.rejects(connect({ url, realm: 'realm2', reconnect: false }), (error: WampError) => {
      assert.equal(error.uri, 'wamp.error.no_such_realm');
      assert.match(String(error.args[0] ?? error.message), /no realm "realm2" exists on this router/);
      return true;
    });
  });

  it('refuses a role without a route, as Crossbar: no_such_role (the ticket itself was right)', async () => {
    const refused = await openConnection(
      { url, realm: 'realm1', authmethods: ['ticket'], authid: 'boss', onchallenge: () => 'secret2' },
      (reason, details) => Object.assign(new Error(reason), { details }),
    ).then(() => undefined, (error: Error & { details?: { reason?: string; message?: string } }) => error.details);
    assert.equal(refused?.reason, 'wamp.error.no_such_role');
    assert.match(String(refused?.message), /realm "realm1" has no role "admin"/);
  });

  for (const method of ['anonymous-proxy', 'cryptosign-proxy']) {
    it(`does not let a client of the backend transport claim an identity with ${method}`, async () => {
      const backend = await RawSocketConnection.open(backendPort, cborCodec);
      try {
        const answer = await backend.hello('realm1', {
          authmethods: [method],
          authid: 'node1',
          authextra: { pubkey: proxyKey, proxy_realm: 'realm1', proxy_authid: 'boss', proxy_authrole: 'admin' },
        });
        assert.equal(answer[0], 3, `expected ABORT, got ${JSON.stringify(answer)}`);
        assert.equal(answer[2], 'wamp.error.no_auth_method');
      } finally {
        await backend.drop();
      }
    });
  }
});
