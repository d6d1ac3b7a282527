import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { AuthConfig, RealmConfig } from '../config/model.js';
import { MessageType as T } from '../protocol/codes.js';
import type { WampMessage } from '../protocol/messages.js';
import { Router } from '../router/router.js';
import { CaptureLog } from '../../test/auth/support/capture-log.js';
import { flush, ManualClock, MemoryPeer } from '../../test/support/router-harness.js';
import { defaultRealmLimits } from '../config/schema-router.js';
import { NodeAuth } from './auth-wiring.js';

const everything = { call: true, register: true, publish: true, subscribe: true };
const roles = { publisher: {}, subscriber: {}, caller: {}, callee: {} };

function realm(): RealmConfig {
  return {
    name: 'realm1',
    roles: [
      { name: 'backend', permissions: [{ uri: '', match: 'prefix', allow: everything, disclose: { caller: false, publisher: false }, cache: true }] },
      { name: 'user', authorizer: 'com.example.authorize' },
    ],
    options: { enableMetaApi: false, uriCheck: 'strict', limits: defaultRealmLimits },
    store: { eventHistory: [], callQueue: [] },
  };
}

/** A node's router with NodeAuth wired as startNode should wire it, and a manual clock for call timeouts. */
function node(options: { dynamicCallTimeoutMs?: number } = {}) {
  const log = new CaptureLog();
  const clock = new ManualClock();
  const config = { realms: [realm()] };
  const auth = new NodeAuth(config, { log, ...options });
  const router = new Router({ realms: config.realms.map((r) => auth.realmSettings(r)), log, clock, helloTimeoutMs: 0 });
  auth.attach(router);
  return { auth, router, log, clock };
}

/** Settles queued async steps until `peer` got a message matching `match` (bounded). */
async function next(peer: MemoryPeer, match: (m: WampMessage) => boolean = () => true): Promise<WampMessage> {
  for (let i = 0; i < 200; i++) {
    const index = peer.inbox.findIndex(match);
    if (index >= 0) return peer.inbox.splice(index, 1)[0]!;
    await flush();
  }
  throw new Error(`no matching message; inbox: ${JSON.stringify(peer.inbox)}`);
}

function connect(router: Router, gate: ReturnType<NodeAuth['gate']>): MemoryPeer {
  const peer = new MemoryPeer();
  peer.link = router.attach(peer, gate);
  return peer;
}

/** HELLO with ticket, AUTHENTICATE with `ticket`; resolves with what the router answered last (WELCOME or ABORT). */
async function ticketSignIn(router: Router, gate: ReturnType<NodeAuth['gate']>, authid: string, ticket: string) {
  const peer = connect(router, gate);
  peer.deliver({ type: T.HELLO, realm: 'realm1', details: { roles, authmethods: ['ticket'], authid } });
  const challenge = await next(peer);
  assert.equal(challenge.type, T.CHALLENGE, JSON.stringify(challenge));
  peer.deliver({ type: T.AUTHENTICATE, signature: ticket, extra: {} });
  const outcome = await next(peer);
  return { peer, outcome };
}

const staticTickets: AuthConfig = {
  ticket: { type: 'static', principals: { svc: { ticket: 'svc-secret', role: 'backend' }, joe: { ticket: 'joe-secret', role: 'user' } } },
};

/** The backend session: signs in, registers `procedure`, answers each invocation with `answer(args)`. */
async function backend(router: Router, gate: ReturnType<NodeAuth['gate']>, procedure: string, answer: (args: unknown[]) => unknown[] | Promise<unknown[]>) {
  const { peer, outcome } = await ticketSignIn(router, gate, 'svc', 'svc-secret');
  assert.equal(outcome.type, T.WELCOME);
  peer.deliver({ type: T.REGISTER, request: 1, options: {}, procedure });
  assert.equal((await next(peer)).type, T.REGISTERED);
  const invocations: unknown[][] = [];
  const serve = async () => {
    for (;;) {
      const invocation = await next(peer, (m) => m.type === T.INVOCATION).catch(() => undefined);
      if (!invocation || invocation.type !== T.INVOCATION) return;
      invocations.push(invocation.args ?? []);
      try {
        peer.deliver({ type: T.YIELD, request: invocation.request, options: {}, args: await answer(invocation.args ?? []) });
      } catch (error) {
        peer.deliver({
          type: T.ERROR, requestType: T.INVOCATION, request: invocation.request, details: {},
          error: 'com.example.refused', args: [(error as Error).message],
        });
      }
    }
  };
  void serve();
  return { peer, invocations };
}

describe('NodeAuth: dynamic authorizer', () => {
  const { auth, router } = node();
  const gate = auth.gate(staticTickets, 'test transport');
  after(() => auth.close());

  it('asks the procedure registered by a backend session, and follows its answer', async () => {
    const { invocations } = await backend(router, gate, 'com.example.authorize', (args) => [args[1] === 'com.open.news']);
    const { peer, outcome } = await ticketSignIn(router, gate, 'joe', 'joe-secret');
    assert.equal(outcome.type, T.WELCOME);
    peer.deliver({ type: T.SUBSCRIBE, request: 1, options: { match: 'prefix' }, topic: 'com.open.news' });
    assert.equal((await next(peer)).type, T.SUBSCRIBED);
    const [facts, uri, action, options] = invocations[0]!;
    assert.deepEqual({ ...(facts as object), session: 0 }, {
      session: 0, realm: 'realm1', authid: 'joe', authrole: 'user', authmethod: 'ticket', authprovider: 'static', authextra: null,
    });
    assert.deepEqual([uri, action, options], ['com.open.news', 'subscribe', { match: 'prefix' }]);

    peer.deliver({ type: T.CALL, request: 2, options: {}, procedure: 'com.private.thing' });
    const refused = await next(peer);
    assert.ok(refused.type === T.ERROR && refused.error === 'wamp.error.not_authorized');
    assert.match(String(refused.args?.[0]), /not authorized to call "com\.private\.thing"/);
  });

  it('denies, and logs why, when no authorizer is registered', async () => {
    const { auth: lonely, router: r, log: lonelyLog } = node();
    const { peer, outcome } = await ticketSignIn(r, lonely.gate(staticTickets, 't'), 'joe', 'joe-secret');
    assert.equal(outcome.type, T.WELCOME);
    peer.deliver({ type: T.PUBLISH, request: 1, options: { acknowledge: true }, topic: 'com.x' });
    const refused = await next(peer);
    assert.ok(refused.type === T.ERROR && refused.error === 'wamp.error.not_authorized');
    assert.match(String(lonelyLog.find('dynamic authorizer gave no usable answer; denying')?.fields.why), /no_such_procedure/);
    await lonely.close();
  });
});

describe('NodeAuth: dynamic authenticator', () => {
  it('signs a client in with the principal a backend procedure answers, and refuses when it throws', async () => {
    const { auth, router, log } = node();
    const backendGate = auth.gate(staticTickets, 'backend transport');
    const publicGate = auth.gate({ ticket: { type: 'dynamic', authenticator: 'com.example.authenticate' } }, 'public transport');
    const { invocations } = await backend(router, backendGate, 'com.example.authenticate', ([, authid, details]) => {
      if ((details as { ticket: string }).ticket !== `${String(authid)}-pass`) throw new Error(`no user "${String(authid)}" with this ticket`);
      return [{ role: 'backend', extra: { greeting: 'hi' } }];
    });
    const { outcome } = await ticketSignIn(router, publicGate, 'ann', 'ann-pass');
    assert.ok(outcome.type === T.WELCOME, JSON.stringify(outcome));
    assert.equal(outcome.details.authid, 'ann');
    assert.equal(outcome.details.authrole, 'backend');
    assert.equal(outcome.details.authmethod, 'ticket');
    assert.equal(outcome.details.authprovider, 'dynamic');
    assert.deepEqual(outcome.details.authextra, { greeting: 'hi' });
    assert.equal(invocations.length, 1);

    const { outcome: refused } = await ticketSignIn(router, publicGate, 'bob', 'guess');
    assert.ok(refused.type === T.ABORT && refused.reason === 'wamp.error.authentication_failed');
    assert.equal(refused.details.message, 'authentication failed', 'the client learns nothing of the authenticator\'s reason');
    const line = log.find('authentication failed');
    assert.match(String(line?.fields.why), /com\.example\.refused: no user "bob" with this ticket/);
    assert.equal(line?.fields.peer, 'memory');
    await auth.close();
    assert.ok(!log.text().includes('ann-pass') && !log.text().includes('guess'), 'tickets are never logged');
  });

  it('refuses with authentication_failed when the authenticator does not answer in time', async () => {
    const { auth, router, clock, log } = node({ dynamicCallTimeoutMs: 5_000 });
    const backendGate = auth.gate(staticTickets, 'backend transport');
    const publicGate = auth.gate({ ticket: { type: 'dynamic', authenticator: 'com.example.slow' } }, 'public transport');
    const { peer: svc } = await ticketSignIn(router, backendGate, 'svc', 'svc-secret');
    svc.deliver({ type: T.REGISTER, request: 1, options: {}, procedure: 'com.example.slow' });
    await next(svc);
    const client = connect(router, publicGate);
    client.deliver({ type: T.HELLO, realm: 'realm1', details: { roles, authmethods: ['ticket'], authid: 'ann' } });
    await next(client, (m) => m.type === T.CHALLENGE);
    client.deliver({ type: T.AUTHENTICATE, signature: 'x', extra: {} });
    await next(svc, (m) => m.type === T.INVOCATION);
    clock.advance(5_000);
    const abort = await next(client);
    assert.ok(abort.type === T.ABORT && abort.reason === 'wamp.error.authentication_failed');
    assert.equal(abort.details.message, 'authentication failed');
    assert.match(String(log.find('authentication failed')?.fields.why), /wamp\.error\.timeout/);
    await auth.close();
  });

  it('refuses a role the realm does not define with no_such_role', async () => {
    const { auth, router } = node();
    const backendGate = auth.gate(staticTickets, 'backend transport');
    const publicGate = auth.gate({ ticket: { type: 'dynamic', authenticator: 'com.example.authenticate' } }, 'public transport');
    await backend(router, backendGate, 'com.example.authenticate', () => ['admin']);
    const { outcome } = await ticketSignIn(router, publicGate, 'ann', 'x');
    assert.ok(outcome.type === T.ABORT && outcome.reason === 'wamp.error.no_such_role');
    await auth.close();
  });
});
