import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Dict } from '../protocol/messages.js';
import type { AuthRequest } from '../router/hooks.js';
import { FakeCaller } from '../../test/auth/support/fake-caller.js';
import { authenticate, authRequest, challenged, localTransport as transport } from '../../test/auth/support/method-test.js';
import { DynamicAuthenticator } from './dynamic.js';
import { dynamicTicket, staticTicket } from './ticket.js';

const request = (details: Dict): AuthRequest => authRequest('ticket', 42, details);

describe('ticket (static)', () => {
  const method = staticTicket({ joe: { ticket: 'secret!!!', role: 'frontend' } });

  it('challenges with an empty extra and welcomes the right ticket', async () => {
    const challenge = await challenged(method.begin(request({ authid: 'joe' })));
    assert.deepEqual(challenge.extra, {});
    assert.deepEqual(await challenge.verify(authenticate('secret!!!')), {
      kind: 'welcome', identity: { authid: 'joe', authrole: 'frontend', authmethod: 'ticket', authprovider: 'static' },
    });
  });

  it('fails a wrong ticket', async () => {
    const challenge = await challenged(method.begin(request({ authid: 'joe' })));
    const outcome = await challenge.verify(authenticate('secret!!'));
    assert.ok(outcome.kind === 'fail' && outcome.why === 'wrong ticket' && outcome.refusal === undefined);
  });

  it('challenges an unknown authid all the same, and fails it at AUTHENTICATE', async () => {
    const challenge = await challenged(method.begin(request({ authid: 'mallory' })));
    assert.deepEqual(challenge.extra, {});
    const outcome = await challenge.verify(authenticate('secret!!!'));
    assert.ok(outcome.kind === 'fail' && /no principal "mallory"/.test(outcome.why) && outcome.refusal === undefined);
  });

  it('does not mistake Object.prototype names for principals', async () => {
    const challenge = await challenged(method.begin(request({ authid: 'constructor' })));
    assert.equal((await challenge.verify(authenticate('x'))).kind, 'fail');
  });
});

describe('ticket (dynamic)', () => {
  it('asks the authenticator with the ticket in details and takes the role it answers', async () => {
    const caller = new FakeCaller(() => 'frontend');
    const method = dynamicTicket(new DynamicAuthenticator({ procedure: 'com.example.authenticate' }, 'ticket', caller));
    const challenge = await challenged(method.begin(request({ authid: 'joe', authextra: { device: 7 } })));
    assert.equal(caller.calls.length, 0, 'nothing is asked before the ticket is known');
    const outcome = await challenge.verify(authenticate('t-123'));
    assert.deepEqual(outcome, { kind: 'welcome', identity: { authid: 'joe', authrole: 'frontend', authmethod: 'ticket', authprovider: 'dynamic' } });
    const [call] = caller.calls;
    assert.deepEqual(call!.where, { realm: 'realm1', role: 'trusted' });
    assert.equal(call!.procedure, 'com.example.authenticate');
    assert.deepEqual(call!.args.slice(0, 2), ['realm1', 'joe']);
    assert.deepEqual(call!.args[2], {
      transport, session: 42, authmethod: 'ticket', authid: 'joe', authrole: null, authextra: { device: 7 }, ticket: 't-123',
    });
  });

  it('takes authid, realm and extra from a principal dict', async () => {
    const caller = new FakeCaller(() => ({ role: 'admin', authid: 'joe@example.com', realm: 'other', extra: { plan: 'pro' } }));
    const authenticator = new DynamicAuthenticator({ procedure: 'com.example.auth', realm: 'auth', role: 'authenticator' }, 'ticket', caller);
    const challenge = await challenged(dynamicTicket(authenticator).begin(request({ authid: 'joe' })));
    assert.deepEqual(await challenge.verify(authenticate('t')), {
      kind: 'welcome',
      identity: { authid: 'joe@example.com', authrole: 'admin', authmethod: 'ticket', authprovider: 'dynamic', authextra: { plan: 'pro' }, realm: 'other' },
    });
    assert.deepEqual(caller.calls[0]!.where, { realm: 'auth', role: 'authenticator' }, 'authenticator-realm and -role are used');
  });

  it('fails when the authenticator throws, saying why in the log reason only', async () => {
    const caller = new FakeCaller(() => { throw new Error('com.example.invalid_ticket: expired'); });
    const challenge = await challenged(dynamicTicket(new DynamicAuthenticator({ procedure: 'com.example.auth' }, 'ticket', caller)).begin(request({ authid: 'joe' })));
    const outcome = await challenge.verify(authenticate('t'));
    assert.ok(outcome.kind === 'fail' && outcome.refusal === undefined);
    assert.match(outcome.why, /com\.example\.auth.*expired/);
  });

  it('fails when the authenticator answers something that is not a principal', async () => {
    for (const bad of [42, null, ['user'], { authid: 'x' }, { role: 'r', extra: 'no' }, { role: 'r', pubkey: 'zz' }]) {
      const caller = new FakeCaller(() => bad);
      const challenge = await challenged(dynamicTicket(new DynamicAuthenticator({ procedure: 'p' }, 'ticket', caller)).begin(request({ authid: 'joe' })));
      const outcome = await challenge.verify(authenticate('t'));
      assert.ok(outcome.kind === 'fail', `answer ${JSON.stringify(bad)} must fail`);
      assert.match(outcome.why, /the authenticator answered with/);
    }
  });

  it('fails when no authid is known', async () => {
    const caller = new FakeCaller(() => 'user');
    const challenge = await challenged(dynamicTicket(new DynamicAuthenticator({ procedure: 'p' }, 'ticket', caller)).begin(request({})));
    const outcome = await challenge.verify(authenticate('t'));
    assert.ok(outcome.kind === 'fail' && /no.*authid/.test(outcome.why));
  });
});
