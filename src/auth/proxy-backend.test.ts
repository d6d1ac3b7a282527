import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Args, Dict } from '../protocol/messages.js';
import type { AuthRequest } from '../router/hooks.js';
import { CaptureLog } from '../../test/auth/support/capture-log.js';
import { staticAnonymous } from './anonymous.js';
import type { ProcedureCaller } from './caller.js';
import { DynamicAuthenticator } from './dynamic.js';
import { authGate, genericRefusal } from './gate.js';
import { ProxyBackend, proxyAuthmethod } from './proxy-backend.js';
import { SignInTally } from './sign-in-tally.js';
import { SignInThrottle } from './throttle.js';

interface Call {
  where: { realm: string; role: string };
  procedure: string;
  args: Args;
}

/** A caller whose procedure answers with `answer(args)` (a thrown error: the callee's ERROR). */
function callerOf(answer: (args: Args) => unknown): { caller: ProcedureCaller; calls: Call[] } {
  const calls: Call[] = [];
  const caller: ProcedureCaller = {
    call: async (where, procedure, args) => {
      calls.push({ where, procedure, args });
      return { args: [answer(args)], kwargs: {} };
    },
  };
  return { caller, calls };
}

function authenticator(caller: ProcedureCaller): DynamicAuthenticator {
  return new DynamicAuthenticator({ procedure: 'auth.backend' }, proxyAuthmethod, caller);
}

const transport = { type: 'websocket', serializer: 'json', peer: 'tcp4:127.0.0.1:40000' };
const request: AuthRequest = { realm: 'realm1', details: { authmethods: ['anonymous'], authid: 'asked' }, transport, sessionId: 9 };
const user1 = { authid: 'user1', authrole: 'user', authmethod: 'ticket', authprovider: 'static', authextra: { team: 'blue' } };

/** As crossbar-examples proxy/dynauth.py: user1 and user2 only, answering a role the session does not get. */
const dynauth = (args: Args) => {
  const user = ((args[2] as Dict).authextra as Dict).proxy_authid;
  if (user !== 'user1' && user !== 'user2') throw new Error(`com.example.unknown_user: Unknown user '${String(user)}'`);
  return { role: 'anonymous' };
};

describe('ProxyBackend', () => {
  it("calls the route's authenticator with what Crossbar's proxy sends its backend, in the session's realm", async () => {
    const { caller, calls } = callerOf(dynauth);
    const backend = new ProxyBackend({ realm1: { user: [authenticator(caller)] } });
    assert.equal(await backend.check(request, user1, 'realm1'), undefined);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.where, { realm: 'realm1', role: 'trusted' });
    assert.equal(calls[0]!.procedure, 'auth.backend');
    assert.deepEqual(calls[0]!.args, ['realm1', 'user1', {
      transport,
      session: 9,
      authmethod: 'cryptosign-proxy',
      authid: 'user1',
      authrole: 'user',
      authextra: {
        proxy_realm: 'realm1',
        proxy_authid: 'user1',
        proxy_authrole: 'user',
        proxy_authmethod: 'ticket',
        proxy_authprovider: 'static',
        proxy_authextra: { team: 'blue', transport },
      },
    }]);
  });

  it('refuses what the authenticator refuses, and an answer that names no principal', async () => {
    const { caller } = callerOf(dynauth);
    const backend = new ProxyBackend({ realm1: { user: [authenticator(caller)] } });
    const refused = await backend.check(request, { ...user1, authid: 'user3' }, 'realm1');
    assert.equal(refused?.kind, 'fail');
    assert.match(refused!.why, /auth\.backend.*failed: com\.example\.unknown_user: Unknown user 'user3'/);
    const nonsense = new ProxyBackend({ realm1: { user: [authenticator(callerOf(() => 42).caller)] } });
    assert.match((await nonsense.check(request, user1, 'realm1'))!.why, /a number instead of a role name or a dict/);
  });

  it('asks no one for routes without an authenticator, and takes a route\'s connections in turn', async () => {
    const { caller, calls } = callerOf(() => 'user');
    const backend = new ProxyBackend({ realm1: { user: [authenticator(caller), null] } });
    assert.equal(await backend.check(request, { ...user1, authrole: 'anonymous' }, 'realm1'), undefined);
    assert.equal(await backend.check(request, user1, 'realm2'), undefined);
    assert.equal(calls.length, 0);
    for (let i = 0; i < 4; i++) await backend.check(request, user1, 'realm1');
    assert.equal(calls.length, 2, 'every other sign-in goes over the connection whose backend asks');
  });
});

describe('a gate with a proxy backend', () => {
  it('refuses a routed sign-in the backend refuses, with the generic refusal; the log says why', async () => {
    const log = new CaptureLog();
    const tally = new SignInTally();
    const backend = new ProxyBackend({ realm1: { anonymous: [authenticator(callerOf(dynauth).caller)] } });
    const gate = authGate({ methods: [staticAnonymous('anonymous', 'user3')], routes: { realm1: ['anonymous'] }, proxyBackend: backend, log, tally });
    assert.deepEqual(await gate.hello(request), { kind: 'deny', ...genericRefusal });
    const line = log.lines.find((entry) => entry.message === 'authentication failed');
    assert.match(String(line?.fields.why), /^the proxy backend refused: .*Unknown user 'user3'/);
    assert.equal(line?.fields.authid, 'user3');
  });

  it("refuses every sign-in of a route whose backend refuses the proxy, as Crossbar's does, saying it is the route; the log says why; the address is not held back for it", async () => {
    const log = new CaptureLog();
    const throttle = new SignInThrottle({ budget: 1, forgiveMs: 60_000, spacingMs: 60_000, maxWaitMs: 60_000 });
    const why = 'connection "conn1" signs in to workers[0].transports[0] with cryptosign-proxy, which its "auth" does not list (it lists anonymous-proxy)';
    const backend = new ProxyBackend({ realm1: { anonymous: [{ type: 'refused', why }] } });
    const waits: number[] = [];
    const sleep = async (ms: number): Promise<void> => void waits.push(ms);
    const gate = authGate({ methods: [staticAnonymous('anonymous', 'user1')], routes: { realm1: ['anonymous'] }, proxyBackend: backend, log, throttle, sleep });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await gate.hello(request), {
        kind: 'deny', reason: 'wamp.error.authentication_failed',
        message: 'this proxy\'s route for realm "realm1" and role "anonymous" leads to a router transport that refuses the proxy\'s sessions',
      });
    }
    const lines = log.lines.filter((entry) => entry.message === 'the proxy route leads to a router transport that refuses its sessions; refusing');
    assert.equal(lines.length, 3);
    assert.equal(lines[0]!.fields.why, why);
    assert.deepEqual(waits, []);
  });

  it('admits what it admits, as the sign-in made it', async () => {
    const backend = new ProxyBackend({ realm1: { anonymous: [authenticator(callerOf(() => ({ role: 'other', authid: 'x' })).caller)] } });
    const gate = authGate({ methods: [staticAnonymous('anonymous', 'user1')], routes: { realm1: ['anonymous'] }, proxyBackend: backend });
    const outcome = await gate.hello(request);
    assert.equal(outcome.kind, 'welcome');
    assert.deepEqual(outcome.kind === 'welcome' && [outcome.identity.authid, outcome.identity.authrole], ['user1', 'anonymous']);
  });
});
