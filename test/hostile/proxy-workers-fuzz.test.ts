import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { loadDocument } from '../../src/config/test-support.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { freePort } from '../support/cli.js';
import { checkFuzz, fuzzSeed, fuzzTimeout, startFuzzedNode, type FuzzedNode } from '../support/fuzz.js';
import { crossbarAnonymousEverything } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';

/**
 * Hostile sign-ins through a Crossbar proxy worker's transport (config/semantics-proxy.ts,
 * auth/routes.ts, auth/gate.ts): HELLOs asking for realms and roles the proxy's routes do not
 * give (names like "__proto__" included), authids and authroles of others, authextra forging
 * the proxy's own claims (proxy_authid, proxy_authrole, proxy_realm), the proxy sign-in methods
 * themselves, and details of the wrong types. A client is welcomed only to a routed realm and
 * role, as the identity it proved; anything else gets a specific ABORT; the node logs no error
 * and a WAMP client on the router keeps working.
 */

const T = { HELLO: 1, WELCOME: 2, ABORT: 3, CHALLENGE: 4, AUTHENTICATE: 5 } as const;
const routes: Record<string, string[]> = { realm1: ['anonymous', 'user'] };
const tickets: Record<string, { ticket: string; role: string }> = { user1: { ticket: 'secret1', role: 'user' }, boss: { ticket: 'secret2', role: 'admin' } };
const refusals = ['wamp.error.no_such_realm', 'wamp.error.no_such_role', 'wamp.error.authentication_failed', 'wamp.error.no_auth_method', 'wamp.error.not_authorized',
  'wamp.error.invalid_argument', 'wamp.error.protocol_violation', 'wamp.error.invalid_uri'];

const forgedExtra = fc.record({
  proxy_realm: fc.constantFrom('realm1', 'realm2', '__proto__'),
  proxy_authid: fc.constantFrom('boss', 'user1', 'admin'),
  proxy_authrole: fc.constantFrom('admin', 'user', 'trusted', 'rlink'),
  proxy_authextra: fc.anything({ maxDepth: 2 }),
  pubkey: fc.constantFrom('ee07d793bc3031374e4419c46b6a2e7656b54e290dce7bd22f6c32a5141999f5', 'zz', ''),
}, { requiredKeys: [] });

const hello = fc.record({
  realm: fc.oneof(fc.constantFrom('realm1', 'realm1', 'realm2', '__proto__', 'constructor', 'hasOwnProperty', 'toString', '', 'REALM1', 'realm1\u0000', 'x'.repeat(600)), fc.string({ maxLength: 12 })),
  authmethods: fc.oneof(
    fc.uniqueArray(fc.constantFrom('anonymous', 'ticket', 'anonymous-proxy', 'cryptosign-proxy', 'cryptosign', 'wampcra', 'scram', 'cookie', 'tls', 'bogus'), { minLength: 1, maxLength: 3 }),
    fc.constantFrom(undefined, 'ticket', 5, [], [5], [{}]),
  ),
  authid: fc.option(fc.oneof(fc.constantFrom('user1', 'boss', 'admin', '', 'x'.repeat(600)), fc.constant(42)), { nil: undefined }),
  authrole: fc.option(fc.constantFrom('admin', 'user', 'trusted', 'anonymous', 'rlink', '__proto__'), { nil: undefined }),
  authextra: fc.option(fc.oneof(forgedExtra, fc.constantFrom('str', 5, [])), { nil: undefined }),
  /** Whether a ticket challenge is answered with the principal's own ticket (else with a wrong one). */
  rightTicket: fc.boolean(),
});

describe(`a proxy worker's transport under hostile sign-ins (seed ${fuzzSeed})`, () => {
  const log = new CaptureLog();
  let fuzzed: FuzzedNode;
  let proxyUrl: string;

  before(async () => {
    const backendPort = await freePort();
    const config = loadDocument({
      version: 2,
      workers: [
        {
          type: 'router',
          realms: [
            { name: 'realm1', roles: [crossbarAnonymousEverything, { ...crossbarAnonymousEverything, name: 'user' }, { ...crossbarAnonymousEverything, name: 'admin' }] },
            { name: 'realm2', roles: [crossbarAnonymousEverything] },
          ],
          transports: [
            { type: 'web', id: 'test', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, paths: { ws: { type: 'websocket' } } },
            { type: 'rawsocket', id: 'backend', endpoint: { type: 'tcp', interface: '127.0.0.1', port: backendPort }, serializers: ['cbor'], auth: { 'anonymous-proxy': { type: 'static' } } },
          ],
        },
        {
          type: 'proxy',
          connections: { conn1: { transport: { type: 'rawsocket', endpoint: { type: 'tcp', host: '127.0.0.1', port: backendPort }, serializer: 'cbor' }, auth: { 'anonymous-proxy': { type: 'static' } } } },
          routes: { realm1: { anonymous: 'conn1', user: 'conn1' } },
          transports: [{
            type: 'web', id: 'proxied', endpoint: { type: 'tcp', interface: '127.0.0.1', port: 0 },
            paths: {
              ws: {
                type: 'websocket',
                auth: {
                  anonymous: { type: 'static', role: 'anonymous' },
                  ticket: { type: 'static', principals: Object.fromEntries(Object.entries(tickets).map(([authid, { ticket, role }]) => [authid, { ticket, role }])) },
                },
              },
            },
          }],
        },
      ],
    });
    // The refusals below must not slow the fuzzing down: a HELLO for a realm the router lacks is
    // signed in before it is refused (as in Crossbar), so wrong tickets there count as failures too.
    config.signIn.failureBudget = 1_000_000;
    fuzzed = await startFuzzedNode(config, log);
    proxyUrl = `ws://127.0.0.1:${fuzzed.node.ports.get('proxied')!}/ws`;
  });
  after(async () => {
    await fuzzed?.stop();
  });

  it('fuzzed HELLOs: welcomed only to a routed realm and role as the identity proved, else a specific ABORT', { timeout: fuzzTimeout(60_000) }, async () => {
    await fuzzed.bystander.works('before the fuzzing');
    await checkFuzz('proxy sign-in', fc.asyncProperty(hello, async (sent) => {
      const client = await RawClient.open(proxyUrl);
      try {
        const details: Record<string, unknown> = { roles: { subscriber: {} } };
        for (const key of ['authmethods', 'authid', 'authrole', 'authextra'] as const) if (sent[key] !== undefined) details[key] = sent[key];
        client.send([T.HELLO, sent.realm, details]);
        let answer = await client.next((message) => ([T.WELCOME, T.ABORT, T.CHALLENGE] as number[]).includes(message[0] as number));
        let proved: string | undefined;
        if (answer[0] === T.CHALLENGE) {
          assert.equal(answer[1], 'ticket', JSON.stringify(answer));
          proved = typeof sent.authid === 'string' ? sent.authid : undefined;
          const principal = proved === undefined ? undefined : tickets[proved];
          client.send([T.AUTHENTICATE, sent.rightTicket && principal ? principal.ticket : 'wrong', {}]);
          answer = await client.next((message) => ([T.WELCOME, T.ABORT] as number[]).includes(message[0] as number));
          if (!(sent.rightTicket && principal)) proved = undefined;
        }
        const what = `${JSON.stringify(sent).slice(0, 300)} -> ${JSON.stringify(answer).slice(0, 300)}`;
        if (answer[0] === T.ABORT) {
          assert.ok(refusals.includes(String(answer[2])), `an unexpected refusal: ${what}`);
          assert.ok(typeof (answer[1] as { message?: unknown }).message === 'string', `a refusal without a message: ${what}`);
          return;
        }
        const welcome = answer[2] as { authid: string; authrole: string; realm?: string };
        assert.ok(sent.realm === 'realm1' && routes.realm1!.includes(welcome.authrole), `welcomed outside the routes: ${what}`);
        if (welcome.authrole === 'user') assert.equal(welcome.authid, proved, `welcomed as a user it did not prove: ${what}`);
        assert.notEqual(welcome.authid, 'boss', what);
        assert.ok(!JSON.stringify(answer[2]).includes('proxy_auth'), `the client's forged proxy claims came back as its identity: ${what}`);
      } finally {
        client.close();
      }
    }), 150);
    await fuzzed.bystander.works('after the fuzzing');
    fuzzed.watch.assertQuiet('fuzzed proxy sign-ins');
    assert.ok(!log.text().includes('secret1') && !log.text().includes('secret2'), 'a ticket was logged');
  });
});
