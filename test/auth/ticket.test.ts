import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RawClient } from '../support/raw-client.js';
import { webSocketPath } from '../support/node.js';
import { allowAll, authConfig, startAuthNode } from './support/node.js';
import { refusal, signIn } from './support/sign-in.js';

const node = await startAuthNode(authConfig({
  ticket: { type: 'static', principals: { joe: { ticket: 'ticket-of-joe', role: 'frontend' } } },
  anonymous: { type: 'static', role: 'guest' },
}, [allowAll('frontend'), allowAll('guest')]));
after(() => node.stop());

const ticket = (value: string) => (_session: unknown, method: string) => {
  assert.equal(method, 'ticket');
  return value;
};

describe('ticket with AutobahnJS', () => {
  it('signs in with the right ticket', async () => {
    const signedIn = await signIn(node.url, { authmethods: ['ticket'], authid: 'joe', onchallenge: ticket('ticket-of-joe') });
    assert.deepEqual(
      [signedIn.details.authid, signedIn.details.authrole, signedIn.details.authmethod, signedIn.details.authprovider],
      ['joe', 'frontend', 'ticket', 'static'],
    );
    await signedIn.close();
  });

  it('refuses a wrong ticket and an unknown authid with the same ABORT', async () => {
    const wrong = await refusal(signIn(node.url, { authmethods: ['ticket'], authid: 'joe', onchallenge: ticket('ticket-of-jo') }));
    const unknown = await refusal(signIn(node.url, { authmethods: ['ticket'], authid: 'jane', onchallenge: ticket('ticket-of-joe') }));
    assert.deepEqual([wrong.reason, wrong.abortMessage], ['wamp.error.authentication_failed', 'authentication failed']);
    assert.deepEqual([unknown.reason, unknown.abortMessage], [wrong.reason, wrong.abortMessage]);
    assert.ok(!node.log.text().includes('ticket-of-jo'), 'tickets are never logged');
  });

  it("uses the client's order of methods among those offered", async () => {
    const guest = await signIn(node.url, { authmethods: ['anonymous', 'ticket'], authid: 'joe', onchallenge: ticket('ticket-of-joe') });
    assert.equal(guest.details.authmethod, 'anonymous');
    assert.equal(guest.details.authrole, 'guest');
    await guest.close();
    const joe = await signIn(node.url, { authmethods: ['ticket', 'anonymous'], authid: 'joe', onchallenge: ticket('ticket-of-joe') });
    assert.equal(joe.details.authmethod, 'ticket');
    await joe.close();
  });

  it('refuses with no_auth_method when none of the requested methods is offered', async () => {
    const refused = await refusal(signIn(node.url, { authmethods: ['cryptosign', 'wampcra'], authid: 'joe' }));
    assert.equal(refused.reason, 'wamp.error.no_auth_method');
    assert.match(refused.abortMessage ?? '', /offered: anonymous, ticket|offered: ticket, anonymous/);
  });
});

describe('a session that does not answer CHALLENGE', () => {
  it("is dropped after the transport's open handshake timeout", async () => {
    const config = authConfig({ ticket: { type: 'static', principals: { joe: { ticket: 't', role: 'frontend' } } } }, [allowAll('frontend')]);
    webSocketPath(config).options.openHandshakeTimeout = 200;
    const quick = await startAuthNode(config);
    after(() => quick.stop());
    const client = await RawClient.open(quick.url);
    client.send([1, 'realm1', { roles: { caller: {} }, authmethods: ['ticket'], authid: 'joe' }]);
    assert.equal((await client.next())[0], 4, 'CHALLENGE');
    const abort = await client.next();
    assert.equal(abort[0], 3, 'ABORT');
    assert.match(String((abort[1] as { message?: string }).message), /no HELLO\/AUTHENTICATE within 200 ms/);
    await client.closed;
  });
});

describe('the sign_in failure budget from the config', () => {
  it('refuses even the right ticket once an address has used up its budget', async () => {
    const config = authConfig({ ticket: { type: 'static', principals: { joe: { ticket: 'right', role: 'frontend' } } } }, [allowAll('frontend')]);
    config.signIn = { ...config.signIn, failureBudget: 1, maxWaitMs: 0 };
    const strict = await startAuthNode(config);
    after(() => strict.stop());
    const attempt = (value: string) => signIn(strict.url, { authmethods: ['ticket'], authid: 'joe', onchallenge: ticket(value) });
    await refusal(attempt('wrong'));
    const allowed = await attempt('right');
    await allowed.close();
    await refusal(attempt('wrong'));
    const throttled = await refusal(attempt('right'));
    assert.equal(throttled.reason, 'wamp.error.authentication_failed');
    const exposition = strict.metrics.exposition();
    assert.match(exposition, /^junction_sign_in_throttled_total\{outcome="refused"\} 1$/m);
    assert.match(exposition, /^junction_sign_in_addresses 1$/m);
  });
});
