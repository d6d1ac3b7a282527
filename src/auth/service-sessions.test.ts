import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import { InternalCallError } from '../router/internal-session.js';
import type { SessionLink } from '../router/peer.js';
import { flush, RouterHarness } from '../../test/support/router-harness.js';
import { ServiceSessions, type AttachFunction } from './service-sessions.js';

/** A router whose attach is watched: every message the service sessions send is kept. */
function watched() {
  const h = new RouterHarness();
  const sent: unknown[][] = [];
  let joins = 0;
  const attach: AttachFunction = (peer, gate, options) => {
    joins++;
    const link = h.router.attach(peer, gate, options);
    const watching: SessionLink = {
      receive: (message, bytes) => {
        sent.push(message as unknown[]);
        link.receive(message, bytes);
      },
      receiveGarbage: (reason) => link.receiveGarbage(reason),
      detach: () => link.detach(),
    };
    return watching;
  };
  return { h, sent, attach, joins: () => joins };
}

describe('service sessions', () => {
  it('refuse calls before the router is connected', async () => {
    await assert.rejects(new ServiceSessions(0).call({ realm: 'realm1', role: 'trusted' }, 'a.b', []), /not running yet/);
  });

  it('join once per (realm, role), call with the configured timeout, and pass on ERROR replies', async () => {
    const { h, sent, attach, joins } = watched();
    const callee = await h.join();
    callee.peer.raw([T.REGISTER, 1, {}, 'com.example.echo']);
    await flush();
    callee.peer.take();
    const services = new ServiceSessions(2_500);
    services.connect(attach);

    const first = services.call({ realm: 'realm1', role: 'trusted' }, 'com.example.echo', ['hi']);
    for (let i = 0; i < 5; i++) await flush();
    const invocation = callee.peer.take()[0];
    assert.ok(invocation?.type === T.INVOCATION);
    callee.peer.raw([T.YIELD, invocation.request, {}, ['hi back']]);
    assert.deepEqual(await first, { args: ['hi back'], kwargs: {} });
    const call = sent.find((message) => message[0] === T.CALL)!;
    assert.deepEqual(call[2], { timeout: 2_500 }, 'every call carries the timeout');

    await assert.rejects(services.call({ realm: 'realm1', role: 'trusted' }, 'com.example.missing', []),
      (error: Error) => error instanceof InternalCallError && error.uri === 'wamp.error.no_such_procedure');
    assert.equal(joins(), 1, 'the same session served both calls');
    await services.close();
  });

  it('say GOODBYE on close, and refuse calls afterwards', async () => {
    const { sent, attach } = watched();
    const services = new ServiceSessions(0);
    services.connect(attach);
    await assert.rejects(services.call({ realm: 'realm1', role: 'trusted' }, 'a.b', []));
    await services.close();
    assert.ok(sent.some((message) => message[0] === T.GOODBYE), 'GOODBYE sent');
    await assert.rejects(services.call({ realm: 'realm1', role: 'trusted' }, 'a.b', []), /shutting down/);
  });

  it('join afresh after a failed join', async () => {
    const { attach, joins } = watched();
    const services = new ServiceSessions(0);
    services.connect(attach);
    await assert.rejects(services.call({ realm: 'nowhere', role: 'trusted' }, 'a.b', []), /no_such_realm/);
    await assert.rejects(services.call({ realm: 'nowhere', role: 'trusted' }, 'a.b', []), /no_such_realm/);
    assert.equal(joins(), 2);
    await services.close();
  });
});
