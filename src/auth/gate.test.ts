import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dict } from '../protocol/messages.js';
import type { AuthOutcome, AuthRequest } from '../router/hooks.js';
import { CaptureLog } from '../../test/auth/support/capture-log.js';
import { authenticate } from '../../test/auth/support/method-test.js';
import { authGate, genericRefusal, type GateOptions } from './gate.js';
import { fail, maxAuthidLength, type AuthMethod, type MethodOutcome } from './method.js';
import { SignInTally } from './sign-in-tally.js';
import { SignInThrottle } from './throttle.js';

function request(details: Dict, peer = 'tcp4:198.51.100.9:40000'): AuthRequest {
  return { realm: 'realm1', details, transport: { type: 'websocket', serializer: 'json', peer }, sessionId: 77 };
}

function welcoming(name: string, authrole = 'user'): AuthMethod {
  return { name, begin: () => ({ kind: 'welcome', identity: { authid: `${name}-id`, authrole, authmethod: name, authprovider: 'static' } }) };
}

/** A method that challenges and accepts the signature "right". */
function challenging(name: string): AuthMethod {
  return {
    name,
    begin: () => ({
      kind: 'challenge',
      extra: { hint: 'sign me' },
      verify: ({ signature }): MethodOutcome => signature === 'right'
        ? { kind: 'welcome', identity: { authid: 'alice', authrole: 'user', authmethod: name, authprovider: 'static' } }
        : fail('wrong secret for alice (test)', 'alice'),
    }),
  };
}

function gate(options: Partial<GateOptions> & { methods: AuthMethod[] }) {
  const log = new CaptureLog();
  const slept: number[] = [];
  const clock = { now: 0 };
  const throttle = options.throttle ?? new SignInThrottle({ budget: 2, spacingMs: 50, maxWaitMs: 120 }, () => clock.now);
  const g = authGate({ log, throttle, now: () => clock.now, sleep: async (ms) => void slept.push(ms), ...options });
  return { gate: g, log, slept, clock, throttle };
}

async function challengeOf(outcome: Promise<AuthOutcome> | AuthOutcome) {
  const result = await outcome;
  assert.equal(result.kind, 'challenge');
  return result as Extract<AuthOutcome, { kind: 'challenge' }>;
}

describe('auth gate', () => {
  it("takes the first of the client's methods that the transport offers", async () => {
    const { gate: g } = gate({ methods: [welcoming('anonymous'), welcoming('ticket')] });
    const outcome = await g.hello(request({ authmethods: ['wampcra', 'ticket', 'anonymous'] }));
    assert.ok(outcome.kind === 'welcome' && outcome.identity.authmethod === 'ticket');
  });

  it('finds a method by an alias, tries it once whichever names the client lists, and challenges under the name the client used first', async () => {
    let begun = 0;
    const aliased: AuthMethod = { ...challenging('scram'), aliases: ['wamp-scram'], begin: (request) => (begun++, challenging('scram').begin(request)) };
    const { gate: g } = gate({ methods: [aliased] });
    assert.equal((await challengeOf(g.hello(request({ authmethods: ['wamp-scram', 'scram'] })))).authMethod, 'wamp-scram');
    assert.equal(begun, 1);
    assert.equal((await challengeOf(g.hello(request({ authmethods: ['scram'] })))).authMethod, 'scram');
    const refused = await g.hello(request({ authmethods: ['wampcra'] }));
    assert.ok(refused.kind === 'deny' && /offered: scram\)/.test(refused.message), 'the offer names the method, not its aliases');
  });

  it('treats a HELLO without authmethods as asking for anonymous', async () => {
    const { gate: g } = gate({ methods: [welcoming('ticket'), welcoming('anonymous')] });
    const outcome = await g.hello(request({}));
    assert.ok(outcome.kind === 'welcome' && outcome.identity.authmethod === 'anonymous');
  });

  it('refuses with no_auth_method naming what was asked and what is offered', async () => {
    const { gate: g } = gate({ methods: [welcoming('wampcra'), welcoming('ticket')] });
    const outcome = await g.hello(request({ authmethods: ['cryptosign'] }));
    assert.ok(outcome.kind === 'deny');
    assert.equal(outcome.reason, 'wamp.error.no_auth_method');
    assert.match(outcome.message, /cryptosign/);
    assert.match(outcome.message, /offered: wampcra, ticket/);
  });

  it('gives the client a generic refusal and the log the reason with the peer address', async () => {
    const { gate: g, log } = gate({ methods: [challenging('wampcra')] });
    const challenge = await challengeOf(g.hello(request({ authmethods: ['wampcra'], authid: 'alice' })));
    assert.deepEqual(challenge.extra, { hint: 'sign me' });
    assert.equal(challenge.authMethod, 'wampcra');
    const outcome = await challenge.verify(authenticate('guess'));
    assert.deepEqual(outcome, { kind: 'deny', ...genericRefusal });
    const line = log.find('authentication failed');
    assert.ok(line);
    assert.equal(line.level, 'warn');
    assert.equal(line.fields.peer, 'tcp4:198.51.100.9:40000');
    assert.equal(line.fields.authid, 'alice');
    assert.equal(line.fields.why, 'wrong secret for alice (test)');
    assert.ok(!log.text().includes('guess'), 'the signature the client sent is not logged');
  });

  it('accepts an answer to a challenge once; a replayed AUTHENTICATE fails', async () => {
    const { gate: g } = gate({ methods: [challenging('wampcra')] });
    const challenge = await challengeOf(g.hello(request({ authmethods: ['wampcra'] })));
    assert.equal((await challenge.verify(authenticate('right'))).kind, 'welcome');
    assert.deepEqual(await challenge.verify(authenticate('right')), { kind: 'deny', ...genericRefusal });
  });

  it('fails a challenge answered after challengeTimeoutMs', async () => {
    const { gate: g, clock, log } = gate({ methods: [challenging('wampcra')], challengeTimeoutMs: 1_000 });
    const challenge = await challengeOf(g.hello(request({ authmethods: ['wampcra'] })));
    clock.now += 1_001;
    assert.deepEqual(await challenge.verify(authenticate('right')), { kind: 'deny', ...genericRefusal });
    assert.match(String(log.find('authentication failed')?.fields.why), /answered after 1001 ms/);
  });

  it('fails closed when a method throws', async () => {
    const broken: AuthMethod = { name: 'ticket', begin: () => { throw new Error('database down'); } };
    const { gate: g, log } = gate({ methods: [broken] });
    assert.deepEqual(await g.hello(request({ authmethods: ['ticket'] })), { kind: 'deny', ...genericRefusal });
    assert.match(String(log.find('authentication failed')?.fields.why), /database down/);
  });

  it('passes on a refusal that reveals nothing about credentials', async () => {
    const picky: AuthMethod = {
      name: 'cryptosign',
      begin: () => ({ kind: 'fail', why: 'no pubkey', refusal: { reason: 'wamp.error.authentication_failed', message: 'send a pubkey' } }),
    };
    const { gate: g } = gate({ methods: [picky] });
    assert.deepEqual(await g.hello(request({ authmethods: ['cryptosign'] })),
      { kind: 'deny', reason: 'wamp.error.authentication_failed', message: 'send a pubkey' });
  });

  it('slows down an address after its failure budget, then refuses it, and leaves others alone', async () => {
    const { gate: g, slept, log } = gate({ methods: [challenging('ticket')] });
    const failOnce = async (peer: string) => (await challengeOf(g.hello(request({ authmethods: ['ticket'] }, peer)))).verify(authenticate('guess'));
    await failOnce('tcp4:198.51.100.9:1');
    await failOnce('tcp4:198.51.100.9:2');
    assert.deepEqual(slept, []);
    await failOnce('tcp4:198.51.100.9:3');
    assert.deepEqual(slept, [50], 'the third attempt waited');
    assert.ok(log.find('slowing down sign-in from an address with repeated failures'));
    // 3 failures, one over a budget of 2: spacing 50 × 2 after the slot taken until 50 → a wait of 150 > maxWaitMs 120.
    const refused = await g.hello(request({ authmethods: ['ticket'] }, 'tcp4:198.51.100.9:4'));
    assert.ok(refused.kind === 'deny' && refused.reason === 'wamp.error.authentication_failed');
    assert.match(refused.message, /too many failed sign-in attempts/);
    const other = await g.hello(request({ authmethods: ['ticket'] }, 'tcp4:198.51.100.10:1'));
    assert.equal(other.kind, 'challenge', 'another address is not slowed down');
  });

  it('refuses a sign-in to a role the realm does not define, except anonymous', async () => {
    const roleExists = (_realm: string, role: string) => role === 'user';
    const { gate: g } = gate({ methods: [welcoming('ticket', 'admin'), welcoming('anonymous', 'anonymous')], roleExists });
    const outcome = await g.hello(request({ authmethods: ['ticket'] }));
    assert.deepEqual(outcome, { kind: 'deny', reason: 'wamp.error.no_such_role', message: 'realm "realm1" has no role "admin"' });
    assert.equal((await g.hello(request({ authmethods: ['anonymous'] }))).kind, 'welcome');
  });

  it("holds sign-ins to a proxy worker's routes, with Crossbar's proxy errors", async () => {
    const routes = { realm1: ['user'] };
    const tally = new SignInTally();
    const { gate: g, log } = gate({ methods: [welcoming('ticket', 'user'), welcoming('wampcra', 'admin'), welcoming('anonymous', 'anonymous')], routes, tally });
    assert.equal((await g.hello(request({ authmethods: ['ticket'] }))).kind, 'welcome');
    assert.deepEqual(await g.hello(request({ authmethods: ['wampcra'] })), { kind: 'deny', reason: 'wamp.error.no_such_role', message: 'realm "realm1" has no role "admin"' });
    // Crossbar lets "anonymous" past its role check and then finds no route for it.
    assert.deepEqual(await g.hello(request({ authmethods: ['anonymous'] })), {
      kind: 'deny', reason: 'wamp.error.authentication_failed', message: 'no route for realm "realm1" and role "anonymous" on this proxy',
    });
    assert.deepEqual(await g.hello({ ...request({ authmethods: ['ticket'] }), realm: 'realm2' }), {
      kind: 'deny', reason: 'wamp.error.no_such_realm', message: 'no realm "realm2" exists on this router',
    });
    // A realm named like an Object method is not routed by the prototype.
    assert.equal((await g.hello({ ...request({ authmethods: ['ticket'] }), realm: 'constructor' })).kind, 'deny');
    assert.ok(log.find('signed in outside the proxy routes; refusing'));
    const counted = [...tally.entries()].filter((entry) => entry.total > 0).map(({ method, outcome, total }) => `${method} ${outcome} ${total}`);
    assert.deepEqual(counted.sort(), ['anonymous refused 1', 'ticket refused 2', 'ticket welcome 1', 'wampcra refused 1']);
  });

  it('refuses every client where no method is offered (only proxy sign-ins, served in-process), saying so', async () => {
    const { gate: g } = gate({ methods: [] });
    const outcome = await g.hello(request({ authmethods: ['anonymous-proxy'] }));
    assert.ok(outcome.kind === 'deny');
    assert.equal(outcome.reason, 'wamp.error.no_auth_method');
    assert.match(outcome.message, /\(anonymous-proxy\) is offered here \(offered: none\)/);
  });

  it('counts sign-ins by method and outcome: welcomed, refused by the method, refused for a role the realm lacks', async () => {
    const tally = new SignInTally();
    const { gate: g } = gate({ methods: [challenging('wampcra'), welcoming('ticket', 'admin'), welcoming('tls')], tally, roleExists: (_realm, role) => role === 'user' });
    await g.hello(request({ authmethods: ['tls'] }));
    await g.hello(request({ authmethods: ['tls'] }));
    await g.hello(request({ authmethods: ['ticket'] }));
    await (await challengeOf(g.hello(request({ authmethods: ['wampcra'] })))).verify(authenticate('wrong'));
    await g.hello(request({ authmethods: ['scram'] })); // no method: not a sign-in of any method
    assert.deepEqual([...tally.entries()].filter((entry) => entry.total > 0), [
      { method: 'tls', outcome: 'welcome', total: 2 },
      { method: 'ticket', outcome: 'refused', total: 1 },
      { method: 'wampcra', outcome: 'refused', total: 1 },
    ]);
  });

  it('refuses an authid over maxAuthidLength before any method sees it, counted and logged in part', async () => {
    const tally = new SignInTally();
    let begun = 0;
    const counting: AuthMethod = { name: 'ticket', begin: (request) => (begun++, welcoming('ticket').begin(request)) };
    const { gate: g, log } = gate({ methods: [counting], tally });
    const outcome = await g.hello(request({ authmethods: ['ticket'], authid: 'a'.repeat(maxAuthidLength + 1) }));
    assert.ok(outcome.kind === 'deny');
    assert.equal(outcome.reason, 'wamp.error.invalid_argument');
    assert.equal(outcome.message, `HELLO authid is ${maxAuthidLength + 1} characters long; the limit is ${maxAuthidLength}`);
    assert.equal(begun, 0);
    assert.deepEqual([...tally.entries()], [{ method: 'ticket', outcome: 'welcome', total: 0 }, { method: 'ticket', outcome: 'refused', total: 1 }]);
    assert.ok(log.text().length < 2_000, 'the log line carries only the start of the authid');
    assert.match(String(log.find('sign-in refused: its authid is too long')?.fields.authid), /… \(4097 characters\)$/);
    const atLimit = await g.hello(request({ authmethods: ['ticket'], authid: 'a'.repeat(maxAuthidLength) }));
    assert.equal(atLimit.kind, 'welcome');
  });

  it('cuts client-chosen text in its log lines: authid, the reason a method gives, an authrole, a realm (HELLO\'s or the authenticator\'s)', async () => {
    const long = 'x'.repeat(maxAuthidLength);
    const longRealm = `com.${long}`;
    const echoing: AuthMethod = { name: 'ticket', begin: () => fail(`no principal "${long}"`) };
    const roleTaking: AuthMethod = {
      name: 'anonymous', begin: () => ({ kind: 'welcome', identity: { authid: long, authrole: long, authmethod: 'anonymous', authprovider: 'dynamic', realm: longRealm } }),
    };
    const { gate: g, log } = gate({ methods: [echoing, roleTaking], roleExists: () => false });
    assert.equal((await g.hello({ ...request({ authmethods: ['ticket'], authid: long }), realm: longRealm })).kind, 'deny');
    assert.equal((await g.hello(request({ authmethods: ['anonymous'] }))).kind, 'deny');
    assert.equal(log.lines.length, 2);
    for (const line of log.lines) assert.ok(JSON.stringify(line).length < 2_500, `${line.message}: ${JSON.stringify(line).length} characters`);
  });
});
