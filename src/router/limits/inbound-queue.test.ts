import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaptureLog } from '../../../test/auth/support/capture-log.js';
import { allRoles, flush, MemoryPeer, RouterHarness } from '../../../test/support/router-harness.js';
import { MessageType as T } from '../../protocol/codes.js';
import { ErrorUri } from '../../protocol/errors.js';
import { SsePeer } from '../../transport/sse/sse-peer.js';
import type { AuthOutcome, Authorizer, Decision } from '../hooks.js';

/** An in-memory peer that, like WebSocket and RawSocket, can stop reading. */
class PausablePeer extends MemoryPeer {
  pauses = 0;
  resumes = 0;
  pauseReading(): void {
    this.pauses++;
  }
  resumeReading(): void {
    this.resumes++;
  }
}

/** An authorizer whose every answer waits until the test releases it. */
function stalledAuthorizer(): { authorizer: Authorizer; release(): void; waiting(): number } {
  let waiting: ((decision: Decision) => void)[] = [];
  return {
    authorizer: { authorize: () => new Promise<Decision>((resolve) => waiting.push(resolve)) },
    release: () => {
      for (const resolve of waiting.splice(0)) resolve({ allow: true });
    },
    waiting: () => waiting.length,
  };
}

function queued(h: RouterHarness): { messages: number; bytes: number } {
  return { messages: h.router.metrics.queuedMessages.value(), bytes: h.router.metrics.queuedBytes.value() };
}

async function joinWith<P extends MemoryPeer>(h: RouterHarness, peer: P): Promise<P> {
  peer.link = h.router.attach(peer, anonymous);
  peer.deliver({ type: T.HELLO, realm: 'realm1', details: { roles: allRoles } });
  await flush();
  assert.equal(peer.take()[0]?.type, T.WELCOME);
  return peer;
}

const anonymous = { hello: (): AuthOutcome => ({ kind: 'welcome', identity: { authid: 'a', authrole: 'anonymous', authmethod: 'anonymous', authprovider: 'static' } }) };

describe('incoming queue behind an unfinished step', () => {
  it('pauses a transport that can stop reading past max_queued_messages_per_session, loses nothing, and resumes at half', async () => {
    const stall = stalledAuthorizer();
    const log = new CaptureLog();
    const h = new RouterHarness({ authorizer: stall.authorizer, log, realm: { limits: { maxQueuedMessagesPerSession: 4, maxQueuedBytesPerSession: 0, publishRate: { perSecond: 0, burst: 0 } } } });
    const peer = await joinWith(h, new PausablePeer());
    for (let request = 1; request <= 10; request++) peer.raw([T.PUBLISH, request, { acknowledge: true }, 't']);
    assert.equal(peer.pauses, 1, 'paused once, when the fifth message was queued');
    assert.equal(queued(h).messages, 9, 'what the transport had already read is still queued, never dropped');
    assert.equal(h.router.metrics.queueOverflows.value({ outcome: 'paused' }), 1);
    assert.ok(log.lines.some((line) => line.level === 'warn' && /reading paused/.test(line.message)));
    for (let i = 0; i < 10 && stall.waiting() > 0; i++) {
      stall.release();
      await flush();
    }
    assert.deepEqual(peer.take().map((m) => m.type === T.PUBLISHED && m.request), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(peer.resumes, 1);
    assert.deepEqual(queued(h), { messages: 0, bytes: 0 });
  });

  it('counts bytes as the transport reports them', async () => {
    const stall = stalledAuthorizer();
    const h = new RouterHarness({ authorizer: stall.authorizer, realm: { limits: { maxQueuedMessagesPerSession: 0, maxQueuedBytesPerSession: 1_000 } } });
    const peer = await joinWith(h, new PausablePeer());
    const big = 'x'.repeat(400);
    peer.raw([T.PUBLISH, 1, {}, 't', [big]]);
    peer.raw([T.PUBLISH, 2, {}, 't', [big]]);
    peer.raw([T.PUBLISH, 3, {}, 't', [big]]);
    assert.equal(peer.pauses, 0, 'two messages of about 420 bytes fit');
    peer.raw([T.PUBLISH, 4, {}, 't', [big]]);
    assert.equal(peer.pauses, 1);
    assert.ok(queued(h).bytes > 1_000 && queued(h).bytes < 1_400, String(queued(h).bytes));
  });

  it('aborts the session of a transport that cannot stop reading (long-poll) with limit_exceeded naming the limits', async () => {
    const stall = stalledAuthorizer();
    const h = new RouterHarness({ authorizer: stall.authorizer, realm: { limits: { maxQueuedMessagesPerSession: 2 } } });
    const peer = await joinWith(h, new MemoryPeer());
    for (let request = 1; request <= 4; request++) peer.raw([T.PUBLISH, request, {}, 't']);
    const abort = peer.take().at(-1);
    assert.equal(abort?.type, T.ABORT);
    assert.equal(abort.type === T.ABORT && abort.reason, ErrorUri.limitExceeded);
    assert.match(String(abort.type === T.ABORT && abort.details.message), /max_queued_messages_per_session is 2 .*cannot pause reading/);
    assert.ok(peer.closed);
    assert.deepEqual(queued(h), { messages: 0, bytes: 0 }, 'the queue is let go with the session');
    assert.equal(h.router.metrics.queueOverflows.value({ outcome: 'aborted' }), 1);
  });

  it('holds a session before WELCOME to the limits of the realm its HELLO names, and resumes reading when it closes', async () => {
    let answer: ((outcome: AuthOutcome) => void) | undefined;
    const gate = { hello: () => new Promise<AuthOutcome>((resolve) => (answer = resolve)) };
    const h = new RouterHarness({ gate, realm: { limits: { maxQueuedMessagesPerSession: 3 } } });
    const peer = new PausablePeer();
    peer.link = h.router.attach(peer, gate);
    peer.deliver({ type: T.HELLO, realm: 'realm1', details: { roles: allRoles } });
    for (let request = 1; request <= 5; request++) peer.raw([T.PUBLISH, request, {}, 't']);
    assert.equal(peer.pauses, 1);
    assert.equal(queued(h).messages, 5);
    answer!({ kind: 'deny', reason: ErrorUri.notAuthorized, message: 'no' });
    await flush();
    assert.equal(peer.take()[0]?.type, T.ABORT);
    assert.equal(peer.resumes, 1, 'the transport reads again so that the close handshake can complete');
    assert.deepEqual(queued(h), { messages: 0, bytes: 0 });
  });

  it('an SSE stream\'s own SUBSCRIBEs wait in the peer while the queue is full, and go on in order', async () => {
    const stall = stalledAuthorizer();
    const h = new RouterHarness({ authorizer: stall.authorizer, realm: { limits: { maxQueuedMessagesPerSession: 2 } } });
    const peer = new SsePeer({ type: 'sse', serializer: 'json', peer: 'memory' });
    peer.connect((joining) => h.router.attach(joining, anonymous));
    await peer.join('realm1', undefined);
    const subscribed = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((topic) => peer.subscribe(topic, 'exact'));
    assert.equal(queued(h).messages, 3, 'three queue behind the end of the join (one past the limit), four wait in the peer');
    for (let i = 0; i < 20; i++) {
      stall.release();
      await flush();
    }
    const ids = await Promise.all(subscribed);
    assert.equal(new Set(ids).size, 7);
    const broker = h.router.realm('realm1')!.broker;
    assert.deepEqual(ids.map((id) => broker.subscription(id)!.uri), ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    assert.deepEqual(queued(h), { messages: 0, bytes: 0 });
  });

  it('queues nothing when every step is synchronous', async () => {
    const h = new RouterHarness();
    const peer = await joinWith(h, new PausablePeer());
    for (let request = 1; request <= 50; request++) peer.raw([T.PUBLISH, request, {}, 't']);
    assert.equal(peer.pauses, 0, 'a synchronous authorizer queues nothing');
  });
});
