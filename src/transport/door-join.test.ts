import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType } from '../protocol/codes.js';
import { DoorJoin } from './door-join.js';

class Refused extends Error {
  constructor(readonly uri: string, message: string) {
    super(message);
  }
}

const doorJoin = () => new DoorJoin('a test door', (welcome) => ({ session: welcome.session, authid: String(welcome.details.authid) }), (uri, text) => new Refused(uri, text));

describe('a door\'s join', () => {
  it('sends HELLO, answers a ticket CHALLENGE with the ticket, and resolves at WELCOME with the identity', async () => {
    const join = doorJoin();
    let helloSent = false;
    const joined = join.start('secret', () => (helloSent = true));
    assert.ok(helloSent);
    assert.deepEqual(join.answer('ticket'), { type: MessageType.AUTHENTICATE, signature: 'secret', extra: {} });
    join.welcomed({ type: MessageType.WELCOME, session: 7, details: { authid: 'joe' } });
    assert.deepEqual(await joined, { session: 7, authid: 'joe' });
  });

  it('refuses a CHALLENGE it cannot answer (another method, or a ticket without one) with ABORT, failing the join with no_auth_method', async () => {
    for (const [ticket, method] of [['secret', 'wampcra'], [undefined, 'ticket']] as const) {
      const join = doorJoin();
      const joined = join.start(ticket, () => {});
      assert.deepEqual(join.answer(method), { type: MessageType.ABORT, details: { message: `cannot answer a "${method}" challenge` }, reason: 'wamp.error.no_auth_method' });
      await assert.rejects(joined, (error: Refused) => error.uri === 'wamp.error.no_auth_method'
        && error.message === `the router asked for "${method}" authentication, which a test door cannot answer`);
    }
  });

  it('fails the join at ABORT with its reason and message, and says why the session ends', async () => {
    const join = doorJoin();
    const joined = join.start('secret', () => {});
    assert.equal(join.aborted({ type: MessageType.ABORT, details: { message: 'wrong ticket' }, reason: 'wamp.error.authentication_failed' }), 'wamp.error.authentication_failed: wrong ticket');
    await assert.rejects(joined, (error: Refused) => error.uri === 'wamp.error.authentication_failed' && error.message === 'wrong ticket');
  });

  it('fails the join at refuse (the session ended first), once: a later refuse or WELCOME changes nothing', async () => {
    const join = doorJoin();
    const joined = join.start(undefined, () => {});
    join.refuse('wamp.error.not_authorized', 'no');
    join.refuse('wamp.close.system_shutdown', 'later');
    join.welcomed({ type: MessageType.WELCOME, session: 1, details: {} });
    await assert.rejects(joined, (error: Refused) => error.uri === 'wamp.error.not_authorized' && error.message === 'no');
  });
});
