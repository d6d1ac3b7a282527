import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../codec/json.js';
import { MessageType } from '../protocol/codes.js';
import { ErrorUri } from '../protocol/errors.js';
import { connectWith } from './connect.js';
import type { Session } from './session.js';
import { FakeRouter, type FakePeer } from './testing/fake-router.js';
import type { Status } from './types.js';

const fastRetry = { initialDelay: 1, maxDelay: 4, growth: 2, jitter: 0 };

async function open(reconnect: object = fastRetry): Promise<{ router: FakeRouter; peer: FakePeer; session: Session }> {
  const router = new FakeRouter();
  const connecting = connectWith({ transport: router.transport, codecs: [jsonCodec] }, { url: 'ws://fake/ws', realm: 'realm1', reconnect });
  const peer = await router.acceptSession(1);
  return { router, peer, session: await connecting };
}

/** Records a status stream in the background, so a test can wait for a status and read them all. */
function record(stream: AsyncIterableIterator<Status>): { seen: Status[]; until(last: (status: Status) => boolean): Promise<Status[]>; stop(): void } {
  const seen: Status[] = [];
  let wake: (() => void) | undefined;
  void (async () => {
    for await (const status of stream) {
      seen.push(status);
      wake?.();
    }
  })();
  return {
    seen,
    async until(last) {
      while (!seen.some(last)) await new Promise<void>((resolve) => (wake = resolve));
      return seen;
    },
    stop: () => void stream.return!(),
  };
}

async function statusesUntil(stream: AsyncIterableIterator<Status>, last: (status: Status) => boolean): Promise<Status[]> {
  return record(stream).until(last);
}

describe('client reconnect', { timeout: 10_000 }, () => {
  it('redials after a loss, restores subscriptions and registrations, and reports each step', async () => {
    const { router, peer, session } = await open();
    const events: unknown[] = [];
    const subscribing = session.subscribe('com.news', (args) => events.push(args[0]));
    peer.send({ type: MessageType.SUBSCRIBED, request: (await peer.expect(MessageType.SUBSCRIBE)).request, subscription: 11 });
    const subscription = await subscribing;
    const registering = session.register('com.add', (args) => (args[0] as number) + (args[1] as number), { invoke: 'roundrobin' });
    peer.send({ type: MessageType.REGISTERED, request: (await peer.expect(MessageType.REGISTER)).request, registration: 21 });
    const registration = await registering;

    const statuses = record(session.status());
    router.unreachable = true;
    peer.drop(1006);
    // One failed attempt, then the router is back.
    const beforeRetry = [...(await statuses.until((status) => status.type === 'retrying' && status.attempt === 2))];
    router.unreachable = false;
    const next = await router.acceptSession(2);
    const resubscribe = await next.expect(MessageType.SUBSCRIBE);
    assert.equal(resubscribe.topic, 'com.news');
    next.send({ type: MessageType.SUBSCRIBED, request: resubscribe.request, subscription: 12 });
    const reregister = await next.expect(MessageType.REGISTER);
    assert.deepEqual([reregister.procedure, reregister.options], ['com.add', { invoke: 'roundrobin' }]);
    next.send({ type: MessageType.REGISTERED, request: reregister.request, registration: 22 });
    const afterRetry = (await statuses.until((status) => status.type === 'restored')).slice(beforeRetry.length);

    assert.deepEqual(
      [...beforeRetry, ...afterRetry].map((status) => status.type + ('attempt' in status ? status.attempt : '')),
      ['closed', 'retrying1', 'connecting1', 'closed', 'retrying2', 'connecting2', 'open2', 'restored'],
    );
    assert.deepEqual(beforeRetry[0], { type: 'closed', reason: 'lost', message: 'WebSocket closed with code 1006', willRetry: true });
    assert.deepEqual(beforeRetry[1], { type: 'retrying', delay: 1, attempt: 1 });
    assert.equal((beforeRetry[3] as { reason: string }).reason, 'unreachable');
    assert.deepEqual(afterRetry.at(-1), { type: 'restored', subscriptions: 1, registrations: 1, failures: [] });
    assert.equal(session.id, 2);
    assert.equal(session.state, 'open');

    // The same Subscription and Registration objects carry on under their new ids.
    assert.deepEqual([subscription.id, registration.id], [12, 22]);
    next.send({ type: MessageType.EVENT, subscription: 12, publication: 1, details: {}, args: ['after'] });
    next.send({ type: MessageType.INVOCATION, request: 5, registration: 22, details: {}, args: [2, 3] });
    assert.deepEqual((await next.expect(MessageType.YIELD)).args, [5]);
    assert.deepEqual(events, ['after']);
    statuses.stop();
  });

  it('fails requests in flight with ConnectionLostError and lets later ones wait for the new connection', async () => {
    const { router, peer, session } = await open();
    const inFlight = session.call('com.slow');
    await peer.expect(MessageType.CALL);
    peer.drop();
    await assert.rejects(inFlight, (error: unknown) => (error as Error).name === 'ConnectionLostError' && (error as { uri: string }).uri === ErrorUri.networkFailure);
    assert.equal(session.state, 'reconnecting');
    const waiting = session.call('com.later', [1]);
    const next = await router.acceptSession(2);
    const call = await next.expect(MessageType.CALL);
    assert.equal(call.procedure, 'com.later');
    next.send({ type: MessageType.RESULT, request: call.request, details: {}, args: ['ok'] });
    assert.deepEqual((await waiting).args, ['ok']);
  });

  it('reports a subscription the router refuses to restore, and ends it', async () => {
    const { router, peer, session } = await open();
    const subscribing = session.subscribe('com.private');
    peer.send({ type: MessageType.SUBSCRIBED, request: (await peer.expect(MessageType.SUBSCRIBE)).request, subscription: 3 });
    const subscription = await subscribing;
    const statuses = session.status();
    peer.drop();
    const next = await router.acceptSession(2);
    const resubscribe = await next.expect(MessageType.SUBSCRIBE);
    next.send({ type: MessageType.ERROR, requestType: MessageType.SUBSCRIBE, request: resubscribe.request, details: {}, error: ErrorUri.notAuthorized });
    const restored = (await statusesUntil(statuses, (status) => status.type === 'restored')).at(-1);
    assert.ok(restored?.type === 'restored');
    assert.deepEqual([restored.subscriptions, restored.failures.length, restored.failures[0]!.kind, restored.failures[0]!.uri], [0, 1, 'subscription', 'com.private']);
    assert.equal(subscription.isActive, false);
    await assert.rejects(subscription[Symbol.asyncIterator]().next(), { name: 'WampError', message: ErrorUri.notAuthorized });
  });

  it('gives up after maxRetries and closes for good', async () => {
    const { router, peer, session } = await open({ ...fastRetry, maxRetries: 2 });
    const iterating = session.subscribe('com.t');
    peer.send({ type: MessageType.SUBSCRIBED, request: (await peer.expect(MessageType.SUBSCRIBE)).request, subscription: 1 });
    const subscription = await iterating;
    const statuses = session.status();
    router.unreachable = true;
    peer.drop();
    const seen = [];
    for await (const status of statuses) seen.push(status);
    assert.deepEqual(seen.at(-1), { type: 'closed', reason: 'lost', message: 'gave up after 2 reconnection attempts', willRetry: false });
    assert.equal(router.attempts, 3);
    assert.equal(session.state, 'closed');
    await assert.rejects(subscription[Symbol.asyncIterator]().next(), { name: 'SessionClosedError', message: /gave up after 2 reconnection attempts/ });
    assert.throws(() => session.publish('com.t'), { name: 'SessionClosedError' });
  });

  it('stops redialing when the router refuses the session (ABORT)', async () => {
    const { router, peer, session } = await open();
    const statuses = session.status();
    peer.drop();
    const next = await router.accept();
    await next.expect(MessageType.HELLO);
    next.send({ type: MessageType.ABORT, details: { message: 'ticket expired' }, reason: ErrorUri.authenticationFailed });
    const seen = [];
    for await (const status of statuses) seen.push(status);
    assert.deepEqual(seen.at(-1), { type: 'closed', reason: ErrorUri.authenticationFailed, message: `${ErrorUri.authenticationFailed}: ticket expired`, willRetry: false });
    assert.equal(router.attempts, 2);
  });

  it('does not reconnect when reconnect is false', async () => {
    const { router, peer, session } = await open(false as unknown as object);
    peer.drop();
    const seen = [];
    for await (const status of session.status()) seen.push(status);
    assert.deepEqual(seen, [{ type: 'closed', reason: 'lost', message: 'WebSocket closed with code 1006', willRetry: false }]);
    assert.equal(router.attempts, 1);
  });

  it('tells a status stream opened after the end why it ended (the final "closed" alone)', async () => {
    const { peer, session } = await open(false as unknown as object);
    peer.drop();
    for await (const status of session.status()) void status; // until the end
    const late = [];
    for await (const status of session.status()) late.push(status);
    assert.deepEqual(late, [{ type: 'closed', reason: 'lost', message: 'WebSocket closed with code 1006', willRetry: false }]);
  });

  it('leave() during the backoff wait ends the session without another attempt', async () => {
    const { router, peer, session } = await open({ initialDelay: 60_000, maxDelay: 60_000, jitter: 0 });
    const statuses = session.status();
    peer.drop();
    await statusesUntil(statuses, (status) => status.type === 'retrying');
    await session.leave();
    assert.equal(session.state, 'closed');
    assert.equal(router.attempts, 1);
  });
});
