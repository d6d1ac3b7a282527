import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType } from '../protocol/codes.js';
import type { Hello, WampMessage } from '../protocol/messages.js';
import { DoorSession } from './door-session.js';

class Refused extends Error {
  constructor(readonly uri: string, message: string) {
    super(message);
  }
}

const hello: Hello = { type: MessageType.HELLO, realm: 'realm1', details: {} };

/** A door session whose side records, in order, what the seam asked of the door. */
function doorSession() {
  const log: unknown[] = [];
  const session = new DoorSession(
    { door: 'a test door', identityOf: (welcome) => ({ session: welcome.session }), refusal: (uri, text) => new Refused(uri, text), leaveText: 'the test client left' },
    {
      deliver: (message: WampMessage) => log.push(['deliver', message]),
      failWaiting: (uri, text) => log.push(['failWaiting', uri, text]),
      routerEnded: (reason) => log.push(['routerEnded', reason]),
      detach: () => log.push(['detach']),
    },
  );
  return { session, log };
}

describe('a door\'s session', () => {
  it('sends HELLO, answers a ticket CHALLENGE, resolves at WELCOME, and leaves every other message to the door', async () => {
    const { session, log } = doorSession();
    const joined = session.join(hello, 'secret');
    assert.equal(session.took({ type: MessageType.CHALLENGE, authMethod: 'ticket', extra: {} }), true);
    assert.equal(session.took({ type: MessageType.WELCOME, session: 5, details: {} }), true);
    assert.deepEqual(await joined, { session: 5 });
    assert.equal(session.took({ type: MessageType.SUBSCRIBED, request: 1, subscription: 9 }), false);
    assert.equal(session.took({ type: MessageType.EVENT, subscription: 9, publication: 3, details: {} }), false);
    assert.deepEqual(log, [['deliver', hello], ['deliver', { type: MessageType.AUTHENTICATE, signature: 'secret', extra: {} }]]);
    assert.equal(session.ended, false);
  });

  it('refuses at once a join asked after the router ABORTed the session as the door attached (the router is shutting down), and sends no HELLO', async () => {
    const { session, log } = doorSession();
    assert.equal(session.took({ type: MessageType.ABORT, details: { message: 'the router is shutting down' }, reason: 'wamp.close.system_shutdown' }), true);
    await assert.rejects(session.join(hello, undefined), (error) =>
      error instanceof Refused && error.uri === 'wamp.close.system_shutdown' && error.message === 'the router is shutting down');
    assert.deepEqual(log.map((entry) => (entry as unknown[])[0]), ['failWaiting', 'routerEnded']);
  });

  it('answers the router\'s GOODBYE (a kill, a shutdown) after the door learned the router\'s reason, once', async () => {
    const { session, log } = doorSession();
    const joined = session.join(hello, undefined);
    assert.equal(session.took({ type: MessageType.GOODBYE, details: {}, reason: 'wamp.close.killed' }), true);
    session.closed(); // the close that follows the answer
    assert.equal(session.ended, true);
    assert.deepEqual(log.slice(1), [
      ['failWaiting', 'wamp.close.system_shutdown', 'wamp.close.killed'],
      ['routerEnded', 'wamp.close.killed'],
      ['deliver', { type: MessageType.GOODBYE, details: {}, reason: 'wamp.close.goodbye_and_out' }],
    ]);
    await assert.rejects(joined, (error: Refused) => error.uri === 'wamp.close.system_shutdown' && error.message === 'wamp.close.killed');
  });

  it('ends at the router\'s ABORT with its reason and message, failing the join with them', async () => {
    const { session, log } = doorSession();
    const joined = session.join(hello, 'wrong');
    session.took({ type: MessageType.ABORT, details: { message: 'no such principal' }, reason: 'wamp.error.authentication_failed' });
    await assert.rejects(joined, (error: Refused) => error.uri === 'wamp.error.authentication_failed' && error.message === 'no such principal');
    assert.deepEqual(log.slice(1), [
      ['failWaiting', 'wamp.close.system_shutdown', 'wamp.error.authentication_failed: no such principal'],
      ['routerEnded', 'wamp.error.authentication_failed: no such principal'],
    ]);
  });

  it('refuses a CHALLENGE it cannot answer with ABORT and leaves the router, without telling the door the router ended it', async () => {
    const { session, log } = doorSession();
    const joined = session.join(hello, undefined);
    session.took({ type: MessageType.CHALLENGE, authMethod: 'wampcra', extra: {} });
    await assert.rejects(joined, (error: Refused) => error.uri === 'wamp.error.no_auth_method');
    assert.deepEqual(log.slice(1), [
      ['deliver', { type: MessageType.ABORT, details: { message: 'cannot answer a "wampcra" challenge' }, reason: 'wamp.error.no_auth_method' }],
      ['failWaiting', 'wamp.close.normal', 'the test client left'],
      ['detach'],
    ]);
    assert.equal(session.ended, true);
  });

  it('leaves once when the door\'s client goes (a join under way fails), and the router closing it later tells no one', async () => {
    const { session, log } = doorSession();
    const joined = session.join(hello, undefined);
    session.leave();
    session.leave();
    session.closed();
    await assert.rejects(joined, (error: Refused) => error.uri === 'wamp.close.normal' && error.message === 'the test client left');
    assert.deepEqual(log.slice(1), [['failWaiting', 'wamp.close.normal', 'the test client left'], ['detach']]);
  });

  it('ends when the router closes the session without a word', () => {
    const { session, log } = doorSession();
    session.closed();
    session.leave();
    assert.deepEqual(log, [['failWaiting', 'wamp.close.system_shutdown', 'the router closed the session'], ['routerEnded', 'the router closed the session']]);
  });
});
