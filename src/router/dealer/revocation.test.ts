import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType as T } from '../../protocol/codes.js';
import type { Dict } from '../../protocol/messages.js';
import { allRoles, flush, onlyMessage, RouterHarness } from '../../../test/support/router-harness.js';
import { InternalSession } from '../internal-session.js';

/** Registrations taken away unasked (Crossbar's force_reregister), and the REGISTER conflicts Crossbar answers. */

const revocableRoles: Dict = { ...allRoles, callee: { features: { ...(allRoles.callee as { features: Dict }).features, registration_revocation: true } } };

async function registered(peer: { raw(m: unknown): void; take(): unknown[] }, request: number, options: Dict, procedure: string): Promise<number> {
  peer.raw([T.REGISTER, request, options, procedure]);
  await flush();
  return onlyMessage(peer.take() as never, T.REGISTERED).registration;
}

describe('dealer - force_reregister', () => {
  it('takes the procedure from every callee, tells those that announced registration_revocation, and registers it afresh', async () => {
    const h = new RouterHarness();
    const told = await h.join(revocableRoles);
    const untold = await h.join();
    const old = await registered(told.peer, 1, { invoke: 'roundrobin' }, 'com.svc');
    assert.equal(await registered(untold.peer, 1, { invoke: 'roundrobin' }, 'com.svc'), old);
    const watcher = await h.join();
    for (const [request, topic] of ['on_unregister', 'on_delete', 'on_create', 'on_register'].entries()) {
      watcher.peer.raw([T.SUBSCRIBE, request + 1, {}, `wamp.registration.${topic}`]);
    }
    await flush();
    const subscriptionTopics = new Map(watcher.peer.take().map((m, i) => [(m as { subscription: number }).subscription,
      ['on_unregister', 'on_delete', 'on_create', 'on_register'][i]]));

    const taker = await h.join();
    const fresh = await registered(taker.peer, 7, { force_reregister: true }, 'com.svc');
    assert.notEqual(fresh, old, 'a new registration, with the new callee\'s own policy');
    assert.deepEqual(onlyMessage(told.peer.take(), T.UNREGISTERED).details, { registration: old, reason: 'wamp.error.unregistered' });
    assert.deepEqual(untold.peer.take(), [], 'no UNREGISTERED to a callee that did not announce registration_revocation (the spec forbids it)');

    await flush();
    const events = watcher.peer.take().map((m) => {
      const event = m as { subscription: number; args: unknown[] };
      return [subscriptionTopics.get(event.subscription), event.args[0]];
    });
    assert.deepEqual(events, [
      ['on_unregister', told.id], ['on_unregister', untold.id], ['on_delete', untold.id], ['on_create', taker.id], ['on_register', taker.id],
    ]);

    const caller = await h.join();
    caller.peer.raw([T.CALL, 1, {}, 'com.svc']);
    assert.equal(onlyMessage(taker.peer.take(), T.INVOCATION).registration, fresh);
    told.peer.raw([T.UNREGISTER, 2, old]);
    assert.equal(onlyMessage(told.peer.take(), T.ERROR).error, 'wamp.error.no_such_registration', 'the revoked registration is gone');
  });

  it('lets a call in flight to the revoked callee end normally', async () => {
    const h = new RouterHarness();
    const callee = await h.join(revocableRoles);
    await registered(callee.peer, 1, {}, 'com.slow');
    const caller = await h.join();
    caller.peer.raw([T.CALL, 5, {}, 'com.slow', [1]]);
    const invocation = onlyMessage(callee.peer.take(), T.INVOCATION);
    const taker = await h.join();
    await registered(taker.peer, 1, { force_reregister: true }, 'com.slow');
    onlyMessage(callee.peer.take(), T.UNREGISTERED);
    callee.peer.raw([T.YIELD, invocation.request, {}, ['late but fine']]);
    assert.deepEqual(onlyMessage(caller.peer.take(), T.RESULT).args, ['late but fine']);
  });

  it("never takes a procedure from the router's own sessions (the console's junction.* procedures): a client is refused as for any taken procedure", async () => {
    const h = new RouterHarness();
    const attach: Parameters<typeof InternalSession.join>[0] = (peer, gate, options) => h.router.attach(peer, gate, options);
    const own = await InternalSession.join(attach, 'realm1', { authid: 'router', authrole: 'trusted' });
    await own.register('junction.config.get', () => 'the real configuration');
    const taker = await h.join(revocableRoles);
    taker.peer.raw([T.REGISTER, 1, { force_reregister: true }, 'junction.config.get']);
    await flush();
    const refused = onlyMessage(taker.peer.take(), T.ERROR);
    assert.equal(refused.error, 'wamp.error.procedure_already_exists');
    assert.match(String(refused.args?.[0]), /the router's own/);
    const caller = await h.join();
    caller.peer.raw([T.CALL, 1, {}, 'junction.config.get']);
    await flush();
    assert.deepEqual(onlyMessage(caller.peer.take(), T.RESULT).args, ['the real configuration'], 'still served by the router');
  });

  it('registers as usual when nothing holds the procedure, and refuses a non-boolean', async () => {
    const h = new RouterHarness();
    const callee = await h.join();
    await registered(callee.peer, 1, { force_reregister: true }, 'com.free');
    callee.peer.raw([T.REGISTER, 2, { force_reregister: 'yes' }, 'com.other']);
    const refused = onlyMessage(callee.peer.take(), T.ERROR);
    assert.equal(refused.error, 'wamp.error.invalid_argument');
    assert.match(String(refused.args?.[0]), /force_reregister/);
  });
});

describe('dealer - REGISTER conflicts, as Crossbar answers them', () => {
  it('refuses any policy on a single registration as procedure_already_exists, another policy on a shared one as a policy conflict', async () => {
    const h = new RouterHarness();
    const a = await h.join();
    const b = await h.join();
    await registered(a.peer, 1, {}, 'com.one');
    await registered(a.peer, 2, { invoke: 'first' }, 'com.many');
    b.peer.raw([T.REGISTER, 1, { invoke: 'roundrobin' }, 'com.one']);
    b.peer.raw([T.REGISTER, 2, {}, 'com.many']);
    b.peer.raw([T.REGISTER, 3, { invoke: 'last' }, 'com.many']);
    const errors = b.peer.take().map((m) => (m as { error: string }).error);
    assert.deepEqual(errors, [
      'wamp.error.procedure_already_exists',
      'wamp.error.procedure_exists_with_different_invocation_policy',
      'wamp.error.procedure_exists_with_different_invocation_policy',
    ]);
  });
});
