import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageType } from '../../protocol/codes.js';
import { Envelope } from '../../protocol/envelope.js';
import type { Peer } from '../peer.js';
import type { Session } from '../session.js';
import { RetainedReplays, type ReplayMeter } from './retained-replay.js';

/** A session whose transport has room for `room` more messages until the test drains it. */
function pacedSession(room: number, paced = true) {
  const sent: string[] = [];
  let resume: (() => void) | undefined;
  const peer: Partial<Peer> = paced
    ? { hasRoom: () => room > 0, whenRoom: (callback) => { assert.equal(resume, undefined, 'one wait at a time'); resume = callback; } }
    : {};
  const session = {
    peer,
    sendEnvelope: (envelope: Envelope) => {
      room--;
      sent.push(String((envelope.message as { args: unknown[] }).args[0]));
    },
  } as unknown as Session;
  const drain = (more: number) => {
    room = more;
    const waiting = resume;
    resume = undefined;
    waiting?.();
  };
  return { session, sent, drain };
}

const noLimit = { maxHeldLiveBytesPerSession: 0, maxWaitingRetainedPerSession: 0 };

function event(subscription: number, label: string, payload = ''): Envelope {
  return new Envelope({ type: MessageType.EVENT, subscription, publication: 1, details: {}, args: [label, payload] });
}

describe('retained replays', () => {
  it('sends while the transport has room, goes on when it drains, and holds live events of the same subscription behind', () => {
    const replays = new RetainedReplays(noLimit);
    const { session, sent, drain } = pacedSession(2);
    replays.send(session, 7, ['r1', 'r2', 'r3', 'r4'].map((label) => event(7, label)));
    assert.deepEqual(sent, ['r1', 'r2']);
    assert.equal(replays.held(session, 7, event(7, 'live7')), true);
    assert.equal(replays.held(session, 8, event(8, 'live8')), false, 'another subscription is not held');
    drain(1);
    assert.deepEqual(sent, ['r1', 'r2', 'r3']);
    drain(10);
    assert.deepEqual(sent, ['r1', 'r2', 'r3', 'r4', 'live7']);
    assert.equal(replays.pending, 0);
    assert.equal(replays.held(session, 7, event(7, 'later')), false, 'nothing waits any more: live goes straight out');
  });

  it('says whether retained events of a subscription still wait (a repeated get_retained then adds nothing)', () => {
    const replays = new RetainedReplays(noLimit);
    const { session, sent, drain } = pacedSession(1);
    replays.send(session, 7, [event(7, 'r1'), event(7, 'r2')]);
    assert.equal(replays.waits(session, 7), true);
    assert.equal(replays.waits(session, 8), false);
    assert.equal(replays.held(session, 7, event(7, 'live7')), true);
    drain(1);
    assert.deepEqual(sent, ['r1', 'r2']);
    assert.equal(replays.waits(session, 7), false, 'only a live event waits now: a repeat gets the retained events again');
    drain(10);
    assert.deepEqual(sent, ['r1', 'r2', 'live7']);
  });

  it('drops what waits for a subscription the session left, with the bytes it held', () => {
    let held = 0;
    const replays = new RetainedReplays(noLimit, { running() {}, waiting() {}, overflowed() {}, retainedOverflowed() {}, held: (delta) => (held += delta) });
    const { session, sent, drain } = pacedSession(1);
    replays.send(session, 7, [event(7, 'a1'), event(7, 'a2')]);
    replays.send(session, 9, [event(9, 'b1')]);
    assert.equal(replays.held(session, 7, event(7, 'live7', 'x'.repeat(100))), true);
    assert.ok(held > 100);
    replays.forget(session, 7);
    assert.equal(held, 0, 'the held live event went with its subscription');
    drain(10);
    assert.deepEqual(sent, ['a1', 'b1']);
    assert.equal(replays.pending, 0);
    replays.send(session, 9, [event(9, 'c1')]);
    replays.forget(session, 9);
    assert.equal(replays.pending, 0);
  });

  it('hands everything to the transport at once when more live traffic waits than it may hold, and says so', () => {
    const limits = { maxHeldLiveBytesPerSession: 1_000, maxWaitingRetainedPerSession: 0 };
    const running: number[] = [];
    let held = 0;
    const overflows: [number, number, number][] = [];
    const meter: ReplayMeter = {
      running: (delta) => running.push(delta),
      held: (delta) => (held += delta),
      waiting() {},
      overflowed: (_session, subscription, _event, heldBytes, limit) => overflows.push([subscription, heldBytes, limit]),
      retainedOverflowed() {},
    };
    const replays = new RetainedReplays(limits, meter);
    const { session, sent } = pacedSession(0);
    replays.send(session, 7, [event(7, 'r1')]);
    assert.deepEqual(running, [1]);
    const half = 'x'.repeat(500);
    assert.equal(replays.held(session, 7, event(7, 'l1', half)), true);
    assert.deepEqual(sent, []);
    assert.ok(held > 500 && held < 1_000, `one event of about 500 bytes held, got ${held}`);
    assert.equal(replays.held(session, 7, event(7, 'l2', half)), true);
    assert.deepEqual(sent, ['r1', 'l1', 'l2'], 'in order; the transport\'s own limit decides now');
    assert.equal(replays.pending, 0);
    assert.deepEqual(running, [1, -1]);
    assert.equal(held, 0, 'nothing held once sent');
    assert.equal(overflows.length, 1);
    assert.equal(overflows[0]![0], 7);
    assert.ok(overflows[0]![1] > 1_000);
    assert.equal(overflows[0]![2], 1_000);
  });

  it('reads the limit at each hold (a reload applies to a replay under way); 0 holds without a limit', () => {
    const limits = { maxHeldLiveBytesPerSession: 0, maxWaitingRetainedPerSession: 0 };
    const replays = new RetainedReplays(limits);
    const { session, sent, drain } = pacedSession(0);
    replays.send(session, 7, [event(7, 'r1')]);
    for (let i = 0; i < 50; i++) assert.equal(replays.held(session, 7, event(7, `l${i}`, 'x'.repeat(10_000))), true);
    assert.deepEqual(sent, [], 'half a megabyte held under no limit');
    limits.maxHeldLiveBytesPerSession = 100;
    assert.equal(replays.held(session, 7, event(7, 'last', 'x'.repeat(200))), true);
    assert.equal(sent.length, 52, 'the next hold passed the new limit: everything went');
    assert.equal(replays.pending, 0);
    drain(10);
    assert.equal(sent.length, 52);
  });

  it('hands everything to the transport at once when more retained events wait than max_waiting_retained_per_session, and says so', () => {
    let waiting = 0;
    const overflows: [number, number, number][] = [];
    const meter: ReplayMeter = {
      running() {}, held() {}, overflowed() {},
      waiting: (delta) => (waiting += delta),
      retainedOverflowed: (_session, subscription, count, limit) => overflows.push([subscription, count, limit]),
    };
    const replays = new RetainedReplays({ maxHeldLiveBytesPerSession: 0, maxWaitingRetainedPerSession: 3 }, meter);
    const { session, sent } = pacedSession(0);
    replays.send(session, 7, [event(7, 'a1'), event(7, 'a2')]);
    assert.equal(waiting, 2);
    replays.send(session, 8, [event(8, 'b1')]);
    assert.deepEqual(sent, [], 'three wait: at the limit');
    replays.send(session, 9, [event(9, 'c1')]);
    assert.deepEqual(sent, ['a1', 'a2', 'b1', 'c1'], 'in order; the transport\'s own limit decides now');
    assert.deepEqual(overflows, [[9, 4, 3]]);
    assert.equal(waiting, 0);
    assert.equal(replays.pending, 0);
  });

  it('sends everything at once to a transport without backpressure', () => {
    const replays = new RetainedReplays(noLimit);
    const { session, sent } = pacedSession(0, false);
    replays.send(session, 7, [event(7, 'r1'), event(7, 'r2')]);
    assert.deepEqual(sent, ['r1', 'r2']);
    assert.equal(replays.pending, 0);
  });
});
