import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionEndNotice } from './session-end.js';

describe('sessionEndNotice', () => {
  it('says "Signed out." when the operator signed out, whatever the router answered', () => {
    assert.equal(sessionEndNotice({ reason: 'wamp.close.goodbye_and_out' }, true), 'Signed out.');
  });
  it('tells a lost connection from a session the router ended', () => {
    assert.equal(sessionEndNotice({ reason: 'lost', message: 'WebSocket closed with code 1006' }, false),
      'The connection to the router was lost (WebSocket closed with code 1006). Sign in again once it is back.');
    assert.equal(sessionEndNotice({ reason: 'wamp.close.system_shutdown', message: 'the router is shutting down' }, false),
      'The router ended the session: wamp.close.system_shutdown (the router is shutting down). Sign in again to go on.');
    assert.equal(sessionEndNotice({ reason: 'wamp.close.killed' }, false), 'The router ended the session: wamp.close.killed. Sign in again to go on.');
  });
});
