import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../protocol/codes.js';
import type { Authorizer } from './hooks.js';
import { RouterHarness } from '../../test/support/router-harness.js';

/** An authorizer whose roles force ("open"), forbid ("secret") or leave ("anonymous") disclosure to the client. */
const byRole: Authorizer = {
  authorize: (session) => {
    if (session.authrole === 'open') return { allow: true, disclose: true };
    if (session.authrole === 'secret') return { allow: true, disclose: false };
    return { allow: true };
  },
};

async function withRole(role: string) {
  const h = new RouterHarness({
    authorizer: byRole,
    gate: { hello: () => ({ kind: 'welcome', identity: { authid: `${role}-user`, authrole: role, authmethod: 'anonymous', authprovider: 'static' } }) },
  });
  const listener = await h.join();
  listener.peer.raw([T.SUBSCRIBE, 1, {}, 'app.t']);
  listener.peer.raw([T.REGISTER, 2, {}, 'app.p']);
  listener.peer.take();
  const actor = await h.join();
  return { listener, actor };
}

describe('router - publisher and caller identification under authorization', () => {
  it('discloses when the role forces it, even unasked', async () => {
    const { listener, actor } = await withRole('open');
    actor.peer.raw([T.PUBLISH, 1, {}, 'app.t']);
    actor.peer.raw([T.CALL, 2, {}, 'app.p']);
    const [event, invocation] = listener.peer.take();
    assert.ok(event?.type === T.EVENT && event.details.publisher === actor.id && event.details.publisher_authid === 'open-user');
    assert.ok(invocation?.type === T.INVOCATION && invocation.details.caller === actor.id && invocation.details.caller_authrole === 'open');
  });

  it('refuses disclose_me with wamp.error.option_disallowed.disclose_me when the role forbids it', async () => {
    const { listener, actor } = await withRole('secret');
    actor.peer.raw([T.PUBLISH, 1, { disclose_me: true, acknowledge: true }, 'app.t']);
    actor.peer.raw([T.CALL, 2, { disclose_me: true }, 'app.p']);
    const [publishError, callError] = actor.peer.take();
    assert.ok(publishError?.type === T.ERROR && publishError.requestType === T.PUBLISH);
    assert.equal(publishError.error, 'wamp.error.option_disallowed.disclose_me');
    assert.ok(callError?.type === T.ERROR && callError.requestType === T.CALL && callError.request === 2);
    assert.equal(callError.error, 'wamp.error.option_disallowed.disclose_me');
    assert.equal(listener.peer.take().length, 0, 'nothing was delivered');
  });

  it('delivers anonymously when the role forbids disclosure and the client did not ask', async () => {
    const { listener, actor } = await withRole('secret');
    actor.peer.raw([T.PUBLISH, 1, {}, 'app.t']);
    actor.peer.raw([T.CALL, 2, {}, 'app.p']);
    const [event, invocation] = listener.peer.take();
    assert.ok(event?.type === T.EVENT && event.details.publisher === undefined);
    assert.ok(invocation?.type === T.INVOCATION && invocation.details.caller === undefined);
  });

  it('follows disclose_me when the role leaves the choice to the client', async () => {
    const { listener, actor } = await withRole('anonymous');
    actor.peer.raw([T.PUBLISH, 1, { disclose_me: true }, 'app.t']);
    actor.peer.raw([T.CALL, 2, {}, 'app.p']);
    const [event, invocation] = listener.peer.take();
    assert.ok(event?.type === T.EVENT && event.details.publisher === actor.id);
    assert.ok(invocation?.type === T.INVOCATION && invocation.details.caller === undefined);
  });
});
