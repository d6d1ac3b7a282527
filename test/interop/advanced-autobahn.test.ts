import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openAutobahn, type OpenSession, type SerializerName } from '../support/autobahn.js';
import { startTestNode } from '../support/node.js';
import { RawClient } from '../support/raw-client.js';

/**
 * The Advanced Profile end to end with AutobahnJS (npm `autobahn`) as the client, against a node
 * started in this process. Where Autobahn lacks a role feature (its callee does not handle
 * INTERRUPT), a raw WebSocket client plays that side.
 */

const node = await startTestNode();
after(() => node.stop());

interface AutobahnEvent { topic: string; publication: number; retained: boolean }
interface AutobahnInvocation { procedure: string; progress: ((args: unknown[]) => void) | null }

/** A raw client that announces call canceling as callee (Autobahn's callee does not). */
async function cancelableCallee(procedure: string): Promise<{ client: RawClient; registration: number }> {
  const client = await RawClient.open(node.url);
  client.send([1, 'realm1', { roles: { callee: { features: { call_canceling: true } } } }]);
  await client.next((m) => m[0] === 2);
  client.send([64, 1, {}, procedure]);
  const registered = await client.next((m) => m[0] === 65);
  return { client, registration: registered[2] as number };
}

describe('AutobahnJS - Advanced Profile', () => {
  let a: OpenSession;
  let b: OpenSession;
  before(async () => {
    a = await openAutobahn(node.url);
    b = await openAutobahn(node.url);
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('is welcomed with every Advanced Profile feature the router implements', async () => {
    const raw = await RawClient.open(node.url);
    const welcome = await raw.hello();
    raw.close();
    const roles = (welcome[2] as { roles: Record<string, { features: Record<string, boolean> }> }).roles;
    assert.deepEqual(Object.keys(roles.broker!.features).sort(), [
      'event_history', 'event_retention', 'pattern_based_subscription', 'payload_passthru_mode', 'publisher_exclusion',
      'publisher_identification', 'session_meta_api', 'subscriber_blackwhite_listing', 'subscription_meta_api', 'subscription_revocation',
    ]);
    assert.deepEqual(Object.keys(roles.dealer!.features).sort(), [
      'call_canceling', 'call_timeout', 'caller_identification', 'pattern_based_registration', 'payload_passthru_mode',
      'progressive_call_invocations', 'progressive_call_results', 'registration_meta_api', 'registration_revocation', 'session_meta_api',
      'shared_registration', 'testament_meta_api',
    ]);
    assert.equal(a.session._features.subscriber.pattern_based_subscription, true, 'Autobahn sees the feature as negotiated');
  });

  for (const serializer of ['json', 'msgpack', 'cbor'] as SerializerName[]) {
    it(`subscribes with match "prefix" and "wildcard" over ${serializer}; each event names its topic`, async () => {
      const subscriber = await openAutobahn(node.url, serializer);
      const seen: [string, string, unknown][] = [];
      let done!: () => void;
      const allSeen = new Promise<void>((resolve) => (done = resolve));
      const record = (kind: string) => (args: unknown[], _kwargs: unknown, details: AutobahnEvent) => {
        seen.push([kind, details.topic, args[0]]);
        if (seen.length === 3) done();
      };
      await subscriber.session.subscribe(`prefix.${serializer}`, record('prefix'), { match: 'prefix' });
      await subscriber.session.subscribe(`wild.${serializer}..update`, record('wildcard'), { match: 'wildcard' });
      await b.session.publish(`prefix.${serializer}.a.b`, [1], {}, { acknowledge: true });
      await b.session.publish(`wild.${serializer}.x.update`, [2], {}, { acknowledge: true });
      await b.session.publish(`wild.${serializer}.x.delete`, [3], {}, { acknowledge: true });
      await b.session.publish(`prefix.${serializer}-more`, [4], {}, { acknowledge: true });
      await allSeen;
      assert.deepEqual(seen.sort(), [
        ['prefix', `prefix.${serializer}-more`, 4], ['prefix', `prefix.${serializer}.a.b`, 1], ['wildcard', `wild.${serializer}.x.update`, 2],
      ]);
      await subscriber.close();
    });
  }

  it('registers with match "prefix" and "wildcard"; the invocation names the procedure called, and precedence holds', async () => {
    await a.session.register('ab.files', (_args: unknown[], _kwargs: unknown, details: AutobahnInvocation) => `prefix:${details.procedure}`, { match: 'prefix' });
    await a.session.register('ab.files..read', (_args: unknown[], _kwargs: unknown, details: AutobahnInvocation) => `wildcard:${details.procedure}`, { match: 'wildcard' });
    await a.session.register('ab.other..read', (_args: unknown[], _kwargs: unknown, details: AutobahnInvocation) => `wildcard:${details.procedure}`, { match: 'wildcard' });
    assert.equal(await b.session.call('ab.files.x.read'), 'prefix:ab.files.x.read', 'a prefix match beats a wildcard match');
    assert.equal(await b.session.call('ab.other.x.read'), 'wildcard:ab.other.x.read');
    await assert.rejects(b.session.call('ab.nothing'), (error: { error: string }) => error.error === 'wamp.error.no_such_procedure');
  });

  it('shares a registration round-robin between two callees', async () => {
    const procedure = 'ab.shared.work';
    await a.session.register(procedure, () => 'a', { invoke: 'roundrobin' });
    await b.session.register(procedure, () => 'b', { invoke: 'roundrobin' });
    const caller = await openAutobahn(node.url);
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push(await caller.session.call(procedure));
    assert.deepEqual(answers, ['a', 'b', 'a', 'b']);
    await assert.rejects(caller.session.register(procedure, () => 'c', { invoke: 'random' }),
      (error: { error: string }) => error.error === 'wamp.error.procedure_exists_with_different_invocation_policy');
    await caller.close();
  });

  it('takes a procedure over with force_reregister: the old Autobahn callee learns it through on_unregister', async () => {
    const old = await a.session.register('ab.takeover', () => 'old');
    const taken = await b.session.register('ab.takeover', () => 'new', { force_reregister: true });
    assert.equal(await old.on_unregister, 'wamp.error.unregistered', 'Crossbar\'s revocation reason');
    assert.equal(old.active, false);
    assert.notEqual(taken.id, old.id);
    assert.equal(await a.session.call('ab.takeover'), 'new');
  });

  it('removes a callee and a subscriber through the meta API; Autobahn\'s on_unregister and on_unsubscribe resolve with the reason', async () => {
    const registration = await a.session.register('ab.removable', () => null);
    const subscription = await a.session.subscribe('ab.removable.topic', () => {});
    await b.session.call('wamp.registration.remove_callee', [registration.id, a.session.id, 'com.example.maintenance']);
    assert.equal(await registration.on_unregister, 'com.example.maintenance');
    await b.session.call('wamp.subscription.remove_subscriber', [subscription.id, a.session.id], { reason: 'com.example.muted' });
    assert.equal(await subscription.on_unsubscribe, 'com.example.muted');
    await assert.rejects(b.session.call('ab.removable'), (error: { error: string }) => error.error === 'wamp.error.no_such_procedure');
    assert.equal(await a.session.call('wamp.session.get', [a.session.id]).then((d: { session: number }) => d.session), a.session.id,
      'the revoked session goes on');
  });

  it('cancels a call in "kill" mode: the callee gets INTERRUPT and the caller its wamp.error.canceled', async () => {
    const { client: callee } = await cancelableCallee('ab.slow.kill');
    const call = b.session.call('ab.slow.kill');
    const invocation = await callee.next((m) => m[0] === 68);
    call.cancel({ mode: 'kill' });
    const interrupt = await callee.next((m) => m[0] === 69);
    assert.equal(interrupt[1], invocation[1]);
    assert.deepEqual(interrupt[2], { mode: 'kill' });
    callee.send([8, 68, invocation[1], {}, 'wamp.error.canceled']);
    await assert.rejects(call, (error: { error: string }) => error.error === 'wamp.error.canceled');
    callee.close();
  });

  // AutobahnJS rejects a call it cancels at once, unless the mode is "kill", and treats an ERROR
  // for it as a protocol violation: as Crossbar, the router answers such a cancel to a callee that
  // cannot be interrupted (an AutobahnJS callee) with nothing, and drops the callee's late answer.
  for (const [label, cancelOptions] of [['default options', undefined], ['mode "skip"', { mode: 'skip' }]] as const) {
    it(`cancels a call to an Autobahn callee with ${label}: rejected at once, the connection stays open, the next call works`, async () => {
      const procedure = `ab.slow.${cancelOptions?.mode ?? 'default'}`;
      let invoked!: () => void;
      const reached = new Promise<void>((resolve) => (invoked = resolve));
      let answer!: (value: string) => void;
      await a.session.register(procedure, () => {
        invoked();
        return new Promise<string>((resolve) => (answer = resolve));
      });
      const caller = await openAutobahn(node.url);
      let closedWith: unknown;
      void caller.closed.then((details) => (closedWith = details));
      // AutobahnJS closes the socket (3002) on a protocol violation, but the close completes later:
      // the violation itself is seen here, in the order the messages arrive.
      const violations: string[] = [];
      const violation = caller.session._protocol_violation as (reason: string) => void;
      caller.session._protocol_violation = (reason: string) => {
        violations.push(reason);
        violation(reason);
      };
      const call = caller.session.call(procedure);
      await reached;
      call.cancel(cancelOptions);
      await assert.rejects(call, (error: { error: string }) => error.error === 'Cancelled', 'AutobahnJS rejects it itself');
      answer('late');
      // A round trip through the router after the cancel and the late answer: anything sent for the canceled call would come first.
      assert.equal(await caller.session.call('wamp.session.get', [caller.session.id]).then((d: { session: number }) => d.session), caller.session.id);
      assert.deepEqual(violations, [], 'nothing came for the canceled call');
      assert.equal(closedWith, undefined, 'the connection is open');
      assert.equal(caller.session.isOpen, true);
      await caller.close();
    });
  }

  it('times out a call the callee does not answer, with wamp.error.timeout', async () => {
    await a.session.register('ab.never', () => new Promise(() => {}));
    await assert.rejects(b.session.call('ab.never', [], {}, { timeout: 20 }), (error: { error: string }) => error.error === 'wamp.error.timeout');
  });

  it('receives progressive results before the final one', async () => {
    await a.session.register('ab.count', (args: number[], _kwargs: unknown, details: AutobahnInvocation) => {
      for (let i = 1; i < args[0]!; i++) details.progress!([i]);
      return args[0];
    });
    const progress: unknown[] = [];
    const final = await new Promise((resolve, reject) => {
      b.session.call('ab.count', [3], {}, { receive_progress: true }).then(resolve, reject, (value: unknown) => progress.push(value));
    });
    assert.deepEqual(progress, [1, 2]);
    assert.equal(final, 3);
  });

  it('delivers a retained event to a subscriber that asks for it', async () => {
    await b.session.publish('ab.sensor.temp', [21.5], {}, { retain: true, acknowledge: true });
    const subscriber = await openAutobahn(node.url);
    const event = await new Promise<[unknown[], AutobahnEvent]>((resolve) => {
      void subscriber.session.subscribe('ab.sensor.temp', (args: unknown[], _kwargs: unknown, details: AutobahnEvent) => resolve([args, details]), { get_retained: true });
    });
    assert.deepEqual(event[0], [21.5]);
    assert.equal(event[1].retained, true);
    await subscriber.close();
  });

  it('discloses the caller on disclose_me only', async () => {
    await a.session.register('ab.whoami', (_args: unknown[], _kwargs: unknown, details: { caller: number }) => details.caller);
    assert.equal(await b.session.call('ab.whoami', [], {}, { disclose_me: true }), b.session.id);
    assert.equal(await b.session.call('ab.whoami'), null, 'no caller in the INVOCATION without disclose_me');
  });

  it('calls wamp.session.count, .list and .get, and sees on_join and on_leave', async () => {
    const count = await a.session.call('wamp.session.count');
    assert.ok(Number.isInteger(count) && count >= 2);
    const ids: number[] = await a.session.call('wamp.session.list');
    assert.ok(ids.includes(a.session.id) && ids.includes(b.session.id));
    const details = await a.session.call('wamp.session.get', [b.session.id]);
    assert.equal(details.session, b.session.id);
    assert.equal(details.authrole, 'anonymous');
    assert.equal(details.transport.type, 'websocket');

    let joined!: (id: number) => void;
    let left!: (id: number) => void;
    const onJoin = new Promise<number>((resolve) => (joined = resolve));
    const onLeave = new Promise<number>((resolve) => (left = resolve));
    const joinSub = await a.session.subscribe('wamp.session.on_join', (args: [{ session: number }]) => joined(args[0].session));
    const leaveSub = await a.session.subscribe('wamp.session.on_leave', (args: [number]) => left(args[0]));
    const visitor = await openAutobahn(node.url);
    const visitorId = visitor.session.id;
    assert.equal(await onJoin, visitorId);
    assert.equal(await a.session.call('wamp.session.count'), count + 1);
    await visitor.close();
    assert.equal(await onLeave, visitorId);
    await a.session.unsubscribe(joinSub);
    await a.session.unsubscribe(leaveSub);
  });

  it('kills a session, which closes with the reason given', async () => {
    const victim = await openAutobahn(node.url);
    await a.session.call('wamp.session.kill', [victim.session.id], { reason: 'com.example.kicked', message: 'go away' });
    const closed = await victim.closed;
    assert.equal(closed.reason, 'com.example.kicked');
  });

  it('publishes a testament when its session goes', async () => {
    const device = await openAutobahn(node.url);
    let deliver!: (args: unknown[]) => void;
    const testament = new Promise<unknown[]>((resolve) => (deliver = resolve));
    await a.session.subscribe('ab.device.gone', (args: unknown[]) => deliver(args));
    const deviceId = device.session.id;
    await device.session.call('wamp.session.add_testament', ['ab.device.gone', [deviceId], {}]);
    await device.close();
    assert.deepEqual(await testament, [deviceId]);
  });

  it('answers the subscription and registration meta procedures', async () => {
    const subscription = await a.session.subscribe('ab.meta.topic', () => {}, { match: 'prefix' });
    assert.equal(await b.session.call('wamp.subscription.lookup', ['ab.meta.topic', { match: 'prefix' }]), subscription.id);
    assert.deepEqual(await b.session.call('wamp.subscription.match', ['ab.meta.topic.x']), [subscription.id]);
    assert.deepEqual(await b.session.call('wamp.subscription.list_subscribers', [subscription.id]), [a.session.id]);
    const registration = await a.session.register('ab.meta.proc', () => null);
    assert.equal(await b.session.call('wamp.registration.match', ['ab.meta.proc']), registration.id);
    assert.equal(await b.session.call('wamp.registration.count_callees', [registration.id]), 1);
    const details = await b.session.call('wamp.registration.get', [registration.id]);
    assert.deepEqual([details.uri, details.match, details.invoke], ['ab.meta.proc', 'exact', 'single']);
  });
});
