import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import type { AuthGate, Authorizer } from './hooks.js';
import { RouterHarness } from '../../test/support/router-harness.js';
import { MAX_FORWARD_HOPS } from './options.js';

/** Each session's role is the authid it asks for ("rlink" or "anonymous"). */
const roleByAuthid: AuthGate = {
  hello: ({ details }) => ({ kind: 'welcome', identity: { authid: String(details.authid), authrole: String(details.authid), authmethod: 'anonymous', authprovider: 'static' } }),
};
/** The links' roles disclose senders, as Crossbar's rlink configs do. */
const discloseToLinks: Authorizer = { authorize: (session) => ({ allow: true, ...(['rlink', 'router2router'].includes(session.authrole) && { disclose: true }) }) };

const hop = { session: 1234, authid: 'alice', authrole: 'user' };

async function realm() {
  const h = new RouterHarness({ gate: roleByAuthid, authorizer: discloseToLinks });
  const join = (authid: string) => h.join(undefined, { authid });
  return { h, join };
}

/** A session subscribed to app.t and registered for app.p, its replies taken. */
async function listening(join: (authid: string) => ReturnType<RouterHarness['join']>) {
  const listener = await join('anonymous');
  listener.peer.raw([T.SUBSCRIBE, 1, {}, 'app.t']);
  listener.peer.raw([T.REGISTER, 2, {}, 'app.p']);
  listener.peer.take();
  return listener;
}

describe('router - forward_for, for router-to-router links', () => {
  it('a link\'s forwarded publication and call carry forward_for (the link appended) and name the original sender', async () => {
    const { join } = await realm();
    const listener = await listening(join);
    const link = await join('rlink');
    link.peer.raw([T.PUBLISH, 1, { forward_for: [hop] }, 'app.t', ['x']]);
    link.peer.raw([T.CALL, 2, { forward_for: [hop] }, 'app.p']);
    const [event, invocation] = listener.peer.take();
    const forwardFor = [hop, { session: link.id, authid: 'rlink', authrole: 'rlink' }];
    assert.ok(event?.type === T.EVENT);
    assert.deepEqual(event.details, { publisher: 1234, publisher_authid: 'alice', publisher_authrole: 'user', forward_for: forwardFor });
    assert.ok(invocation?.type === T.INVOCATION);
    assert.deepEqual(invocation.details, { caller: 1234, caller_authid: 'alice', caller_authrole: 'user', forward_for: forwardFor });
  });

  it('keeps forward_for when the sender is not disclosed: it is what stops a link from forwarding again', async () => {
    const h = new RouterHarness({ gate: roleByAuthid });
    const listener = await h.join(undefined, { authid: 'anonymous' });
    listener.peer.raw([T.SUBSCRIBE, 1, {}, 'app.t']);
    listener.peer.take();
    const link = await h.join(undefined, { authid: 'rlink' });
    link.peer.raw([T.PUBLISH, 1, { forward_for: [hop] }, 'app.t']);
    const [event] = listener.peer.take();
    assert.ok(event?.type === T.EVENT);
    assert.deepEqual(event.details, { forward_for: [hop, { session: link.id, authid: 'rlink', authrole: 'rlink' }] });
  });

  it('passes on forward_for from a session that is not a link, naming that session, not the one it claims (it could pose as any publisher)', async () => {
    const { join } = await realm();
    const listener = await listening(join);
    // Crossbar's links join with whatever role the other router gives them (crossbar-examples rlinks/ha_setup: "router2router").
    const link = await join('router2router');
    link.peer.raw([T.PUBLISH, 1, { forward_for: [hop] }, 'app.t']);
    link.peer.raw([T.CALL, 2, { forward_for: [hop] }, 'app.p']);
    const [event, invocation] = listener.peer.take();
    const self = { session: link.id, authid: 'router2router', authrole: 'router2router' };
    assert.ok(event?.type === T.EVENT);
    assert.deepEqual(event.details, { publisher: link.id, publisher_authid: 'router2router', publisher_authrole: 'router2router', forward_for: [hop, self] });
    assert.ok(invocation?.type === T.INVOCATION);
    assert.deepEqual(invocation.details, { caller: link.id, caller_authid: 'router2router', caller_authrole: 'router2router', forward_for: [hop, self] });
  });

  it('refuses a malformed forward_for', async () => {
    const { join } = await realm();
    const listener = await listening(join);
    const link = await join('rlink');
    const tooMany = Array.from({ length: MAX_FORWARD_HOPS + 1 }, () => hop);
    link.peer.raw([T.PUBLISH, 3, { forward_for: tooMany, acknowledge: true }, 'app.t']);
    link.peer.raw([T.CALL, 4, { forward_for: [{ session: 'x' }] }, 'app.p']);
    const replies = link.peer.take().map((message) => (message.type === T.ERROR ? [message.request, message.error, message.args?.[0]] : message.type));
    const malformed = `option "forward_for" must be a list of 1 to ${MAX_FORWARD_HOPS} {session, authid, authrole} entries`;
    assert.deepEqual(replies, [
      [3, 'wamp.error.invalid_argument', malformed],
      [4, 'wamp.error.invalid_argument', malformed],
    ]);
    assert.equal(listener.peer.take().length, 0, 'nothing was delivered');
  });

  it('does not announce a link\'s registrations (Crossbar\'s dealer), so links never mirror each other\'s', async () => {
    const { join } = await realm();
    const watcher = await join('anonymous');
    watcher.peer.raw([T.SUBSCRIBE, 1, {}, 'wamp.registration.on_create']);
    watcher.peer.raw([T.SUBSCRIBE, 2, {}, 'wamp.registration.on_delete']);
    watcher.peer.take();
    const link = await join('rlink');
    link.peer.raw([T.REGISTER, 1, {}, 'app.mirrored']);
    link.peer.raw([T.UNREGISTER, 2, (link.peer.take()[0] as { registration: number }).registration]);
    const callee = await join('anonymous');
    callee.peer.raw([T.REGISTER, 1, {}, 'app.own']);
    await new Promise((resolve) => setImmediate(resolve));
    const announced = watcher.peer.take().map((message) => (message.type === T.EVENT ? (message.args?.[1] as { uri?: string }).uri : message.type));
    assert.deepEqual(announced, ['app.own']);
  });
});
