/**
 * max_held_live_bytes_per_session, from the config to the broker: live events published while a
 * subscriber's retained events are still paced by its connection are held behind them up to the
 * limit; past it everything waiting goes to the connection at once (its slow-consumer rule
 * decides), counted in junction_retained_replay_overflows_total and warned with the session and
 * topic. junction_retained_replays and junction_retained_replay_held_bytes show the replays under way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anonymousGate } from '../../src/auth/anonymous.js';
import { configDocument, loadDocument, realmWithRoles } from '../../src/config/test-support.js';
import { MessageType as T } from '../../src/protocol/codes.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { allRoles, flush, MemoryPeer, RouterHarness } from '../support/router-harness.js';

/** A memory transport that takes `room` more messages, then waits until the test drains it. */
class PacedPeer extends MemoryPeer {
  private resume: (() => void) | undefined;

  constructor(private room: number) {
    super();
  }

  override send(envelope: Envelope): void {
    this.room--;
    super.send(envelope);
  }

  hasRoom(): boolean {
    return this.room > 0;
  }

  whenRoom(resume: () => void): void {
    this.resume = resume;
  }

  drain(room: number): void {
    this.room = room;
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
  }
}

const RETAINED = 10;
const LIVE = 20;
const LIVE_CHARS = 1_000;

/** A router whose realm1 has `limits` as read from a config document; a publisher has retained RETAINED events under "feed.". */
async function routerWith(limits: Record<string, unknown>, log?: CaptureLog) {
  const config = loadDocument(configDocument({ realms: [realmWithRoles('realm1', ['anonymous'], { limits })] }));
  const h = new RouterHarness({ realm: { limits: config.realms[0]!.options.limits }, log });
  const publisher = await h.join();
  for (let i = 0; i < RETAINED; i++) publisher.peer.raw([T.PUBLISH, i + 1, { retain: true }, `feed.t${i}`, [`retained ${i}`]]);
  return { h, publisher };
}

/** Joins a paced subscriber that takes SUBSCRIBED and one retained event, then waits; returns it and its session id. */
async function pacedSubscriber(h: RouterHarness) {
  const peer = new PacedPeer(1_000);
  peer.link = h.router.attach(peer, anonymousGate('anonymous'), {});
  peer.deliver({ type: T.HELLO, realm: 'realm1', details: { roles: allRoles } });
  await flush();
  const welcome = peer.take()[0];
  assert.equal(welcome?.type, T.WELCOME);
  peer.drain(2);
  peer.raw([T.SUBSCRIBE, 1, { match: 'prefix', get_retained: true }, 'feed.']);
  assert.deepEqual(peer.take().map((message) => message.type), [T.SUBSCRIBED, T.EVENT], 'SUBSCRIBED and one retained event, then no room');
  return { peer, id: (welcome as { session: number }).session };
}

function publishLive(publisher: MemoryPeer): void {
  for (let i = 0; i < LIVE; i++) publisher.raw([T.PUBLISH, 100 + i, {}, 'feed.t0', [`live ${i}`, 'x'.repeat(LIVE_CHARS)]]);
}

const labels = { realm: 'realm1' };

describe('max_held_live_bytes_per_session', () => {
  it('by default (4 MiB) holds the live events behind the paced retained ones, then sends them in order', async () => {
    const { h, publisher } = await routerWith({});
    const metrics = h.router.metrics;
    const { peer } = await pacedSubscriber(h);
    assert.equal(metrics.retainedReplays.value(labels), 1, 'one replay under way');
    publishLive(publisher.peer);
    assert.deepEqual(peer.take(), [], 'the live events wait behind the retained ones');
    const held = metrics.retainedReplayHeldBytes.value(labels);
    assert.ok(held >= LIVE * LIVE_CHARS && held < LIVE * (LIVE_CHARS + 100), `about ${LIVE} x ${LIVE_CHARS} bytes held, got ${held}`);
    peer.drain(1_000);
    const labelsSent = peer.take().map((message) => (message as { args: unknown[] }).args[0]);
    assert.deepEqual(labelsSent, [
      ...Array.from({ length: RETAINED - 1 }, (_, i) => `retained ${i + 1}`),
      ...Array.from({ length: LIVE }, (_, i) => `live ${i}`),
    ]);
    assert.equal(metrics.retainedReplays.value(labels), 0);
    assert.equal(metrics.retainedReplayHeldBytes.value(labels), 0);
    assert.equal(metrics.retainedReplayOverflows.value(labels), 0);
  });

  it('a limit of a few KiB from the config: the live events pass it, everything goes at once, counted and warned', async () => {
    const log = new CaptureLog();
    const { h, publisher } = await routerWith({ max_held_live_bytes_per_session: 4096 }, log);
    const metrics = h.router.metrics;
    const { peer, id } = await pacedSubscriber(h);
    publishLive(publisher.peer);
    const sent = peer.take().map((message) => (message as { args: unknown[] }).args[0]);
    // About 4 live events of ~1 KB fit in 4 KiB; the one that passes it sends all that waited, and the rest go straight out.
    assert.equal(sent.length, RETAINED - 1 + LIVE, 'nothing is held any more: the transport has it all');
    assert.deepEqual(sent.slice(0, RETAINED - 1), Array.from({ length: RETAINED - 1 }, (_, i) => `retained ${i + 1}`), 'retained first, in order');
    assert.deepEqual(sent.slice(RETAINED - 1), Array.from({ length: LIVE }, (_, i) => `live ${i}`), 'then live, in order');
    assert.equal(metrics.retainedReplays.value(labels), 0);
    assert.equal(metrics.retainedReplayOverflows.value(labels), 1);
    assert.equal(metrics.retainedReplayHeldBytes.value(labels), 0, 'nothing held after the overflow');
    assert.match(h.router.registry.exposition(), /^junction_retained_replay_overflows_total\{realm="realm1"\} 1$/m);
    const warning = log.lines.find((entry) => entry.level === 'warn' && /max_held_live_bytes_per_session/.test(entry.message));
    assert.ok(warning, `a warning, got ${log.text()}`);
    assert.equal(warning.fields.session, id);
    assert.equal(warning.fields.topic, 'feed.t0');
    assert.equal(warning.fields.limit, 4096);
  });
});
