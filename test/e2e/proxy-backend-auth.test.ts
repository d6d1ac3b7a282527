import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import autobahn from 'autobahn';
import { openAutobahn, openConnection, type CloseDetails, type OpenSession } from '../support/autobahn.js';
import { freePort, RunningJunction } from '../support/cli.js';

/**
 * A proxy worker whose backend transport has a dynamic `cryptosign-proxy` authenticator, as in
 * crossbar-examples proxy/config4.json and dynauth.py: Crossbar's backend calls it for each session
 * the proxy brings, and its refusal refuses the session. Here an AutobahnJS client registers it and
 * refuses every user but user1 and user2.
 */

const home = mkdtempSync(join(tmpdir(), 'junction-proxy-backend-auth-'));
const running: RunningJunction[] = [];
after(() => {
  running.forEach((junction) => junction.kill());
  rmSync(home, { recursive: true, force: true });
});

const prefix = (uri: string, allow: object) => ({ uri, match: 'prefix', allow, disclose: { caller: true, publisher: true }, cache: true });
const all = { call: true, register: true, publish: true, subscribe: true };

function config(proxyPort: number, backendPort: number, authPort: number): object {
  return {
    version: 2,
    controller: { id: 'node1' },
    workers: [
      {
        type: 'router',
        realms: [{ name: 'realm1', roles: [
          { name: 'anonymous', permissions: [prefix('public.', all)] },
          { name: 'user', permissions: [prefix('demo.', all)] },
          { name: 'auth', permissions: [prefix('auth.', { register: true })] },
        ] }],
        transports: [
          {
            type: 'rawsocket',
            endpoint: { type: 'tcp', interface: '127.0.0.1', port: backendPort },
            serializers: ['cbor'],
            auth: { 'cryptosign-proxy': { type: 'dynamic', authenticator: 'auth.backend_cryptosign' } },
          },
          // Where the authenticator's own client joins (Crossbar's example runs it as a function component).
          {
            type: 'websocket',
            endpoint: { type: 'tcp', interface: '127.0.0.1', port: authPort },
            auth: { anonymous: { type: 'static', role: 'auth' } },
          },
        ],
      },
      {
        type: 'proxy',
        connections: {
          conn1: {
            transport: { type: 'rawsocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: backendPort }, url: 'ws://localhost', serializer: 'cbor' },
            auth: { 'cryptosign-proxy': { type: 'static' } },
          },
        },
        routes: { realm1: { user: 'conn1' } },
        transports: [{
          type: 'websocket',
          endpoint: { type: 'tcp', interface: '127.0.0.1', port: proxyPort, shared: true },
          auth: {
            ticket: { type: 'static', principals: { user1: { ticket: 'secret1', role: 'user' }, user3: { ticket: 'secret3', role: 'user' } } },
          },
        }],
      },
    ],
  };
}

interface AuthenticatorCall {
  realm: string;
  authid: string;
  details: { authmethod: string; authid: string; authrole: string; session: number; transport: { peer?: string }; authextra: Record<string, unknown> };
}

describe('a proxy backend transport with a dynamic cryptosign-proxy authenticator', { timeout: 120_000 }, () => {
  let proxyUrl = '';
  let junction: RunningJunction;
  let authenticatorClient: OpenSession;
  const calls: AuthenticatorCall[] = [];
  before(async () => {
    const [proxyPort, backendPort, authPort] = [await freePort(), await freePort(), await freePort()];
    const path = join(home, 'config.json');
    writeFileSync(path, JSON.stringify(config(proxyPort, backendPort, authPort)));
    junction = RunningJunction.start(['--config', path]);
    running.push(junction);
    await junction.started((line) => line.msg === 'listening' && line.service === 'websocket' && line.url === `ws://127.0.0.1:${proxyPort}/`);
    proxyUrl = `ws://127.0.0.1:${proxyPort}/`;
    authenticatorClient = await openAutobahn(`ws://127.0.0.1:${authPort}/`);
    // As dynauth.py: only user1 and user2; the role it answers is not the session's.
    await authenticatorClient.session.register('auth.backend_cryptosign', (args: [string, string, AuthenticatorCall['details']]) => {
      const [realm, authid, details] = args;
      calls.push({ realm, authid, details });
      const user = details.authextra.proxy_authid as string;
      if (user !== 'user1' && user !== 'user2') throw new autobahn.Error('com.example.unknown_user', [`Unknown user '${user}'`]);
      return { pubkey: 'a1fd4c2c2954b92ef784b4d14442e2eb159cc74040bb59e43e84b3c56719256f', role: 'anonymous' };
    });
  });
  after(() => authenticatorClient?.close());

  const signIn = (authid: string, ticket: string) => openConnection(
    { url: proxyUrl, realm: 'realm1', authmethods: ['ticket'], authid, onchallenge: () => ticket },
    (reason, details) => Object.assign(new Error(reason), { details }),
  );

  it('calls it for a routed session with what Crossbar\'s proxy sends, and keeps the realm, authid and role the proxy gave', async () => {
    const user1 = await signIn('user1', 'secret1');
    try {
      const welcome = user1.details as { authid: string; authrole: string; authmethod: string };
      assert.deepEqual([welcome.authid, welcome.authrole, welcome.authmethod], ['user1', 'user', 'ticket']);
      const call = calls.find((entry) => entry.details.authextra.proxy_authid === 'user1');
      assert.ok(call, 'the authenticator was called for user1');
      assert.equal(call.realm, 'realm1');
      assert.equal(call.authid, 'user1');
      assert.equal(call.details.authmethod, 'cryptosign-proxy');
      assert.equal(call.details.authrole, 'user');
      const { transport, ...proxied } = call.details.authextra.proxy_authextra as { transport: { peer?: string } };
      assert.deepEqual(proxied, {});
      assert.match(String(transport.peer), /127\.0\.0\.1/);
      assert.deepEqual(
        { ...call.details.authextra, proxy_authextra: undefined },
        { proxy_realm: 'realm1', proxy_authid: 'user1', proxy_authrole: 'user', proxy_authmethod: 'ticket', proxy_authprovider: 'static', proxy_authextra: undefined },
      );
      // The session works in its role.
      await user1.session.register('demo.echo', (args: unknown[]) => args[0]);
      assert.equal(await user1.session.call('demo.echo', ['hi']), 'hi');
    } finally {
      await user1.close();
    }
  });

  it('refuses the session it refuses, as Crossbar\'s proxy does (authentication_failed), and logs the authenticator\'s reason', async () => {
    const refused = await signIn('user3', 'secret3').then(
      () => assert.fail('user3 was admitted'),
      (error: Error & { details?: CloseDetails }) => error.details,
    );
    assert.equal(refused?.reason, 'wamp.error.authentication_failed');
    assert.ok(calls.some((entry) => entry.details.authextra.proxy_authid === 'user3'), 'the authenticator was asked about user3');
    const line = await junction.waitForLine((entry) => entry.msg === 'authentication failed' && entry.authid === 'user3');
    assert.match(String(line.why), /proxy backend refused.*auth\.backend_cryptosign.*Unknown user 'user3'/);
  });
});
