import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec } from '../../codec/index.js';
import { MessageType as T } from '../../protocol/codes.js';
import { Envelope } from '../../protocol/envelope.js';
import type { Dict, WampMessage } from '../../protocol/messages.js';
import { allRoles, flush, MemoryPeer, RouterHarness } from '../../../test/support/router-harness.js';
import { waitFor } from '../../../test/support/wait.js';
import type { AuthGate } from '../hooks.js';
import type { Session } from '../session.js';
import { ratedMessages, SessionMeter, sessionStatsTopic, type SessionStatsSettings } from './session-meter.js';

const settings = (overrides: Partial<SessionStatsSettings> = {}): SessionStatsSettings => ({
  ratedMessageSize: 64, afterRatedMessages: 0, afterDurationMs: 0, onJoin: false, onLeave: true, ...overrides,
});

/** A peer that encodes what it is sent as JSON text and reports what it receives at its exact JSON size, as a WebSocket would. */
class JsonPeer extends MemoryPeer {
  override readonly transport = { type: 'websocket', serializer: 'json', peer: 'tcp4:127.0.0.1:1' };
  /** The byte length of every frame sent to the client, and of every one it sent, in order. */
  readonly sentBytes: number[] = [];
  readonly receivedBytes: number[] = [];
  private static readonly encoder = { name: 'json', encode: (wire: unknown[]) => jsonCodec.encode(wire) };

  override send(envelope: Envelope): void {
    this.sentBytes.push(Buffer.byteLength(envelope.encode(JsonPeer.encoder) as string));
    super.send(envelope);
  }

  override raw(message: unknown): void {
    this.receivedBytes.push(Buffer.byteLength(JSON.stringify(message)));
    this.link.receive(message, this.receivedBytes.at(-1)!);
  }
}

/** Signs in with the authid HELLO asks for: reports are told apart by it. */
const namedGate: AuthGate = {
  hello: (request) => ({
    kind: 'welcome',
    identity: { authid: String(request.details.authid ?? 'monitor'), authrole: 'anonymous', authmethod: 'anonymous', authprovider: 'static' },
  }),
};

function harness(stats: SessionStatsSettings): RouterHarness {
  return new RouterHarness({ realm: { stats }, gate: namedGate });
}

async function joinJson(h: RouterHarness, authid: string): Promise<{ peer: JsonPeer; id: number }> {
  const peer = h.connect({}, new JsonPeer());
  peer.deliver({ type: T.HELLO, realm: 'realm1', details: { authid, roles: allRoles } });
  await flush();
  const welcome = peer.take()[0];
  assert.equal(welcome?.type, T.WELCOME);
  return { peer, id: (welcome as Extract<WampMessage, { type: typeof T.WELCOME }>).session };
}

async function subscribeToStats(peer: MemoryPeer): Promise<void> {
  peer.raw([T.SUBSCRIBE, 1, {}, sessionStatsTopic]);
  peer.raw([T.SUBSCRIBE, 2, {}, 'wamp.session.on_leave']);
  await flush();
  // What else came is reports about the subscriber itself (it is metered too).
  assert.deepEqual(peer.take().filter((m) => m.type !== T.EVENT).map((m) => m.type), [T.SUBSCRIBED, T.SUBSCRIBED]);
}

/**
 * The stats reports a monitor received, in order, as [who, stats], and the on_leave events as
 * 'left <id>'; only those about session `id` when given (the monitor is metered too).
 */
function reports(peer: MemoryPeer, id?: number): (string | [Dict, Dict])[] {
  const seen: (string | [Dict, Dict])[] = [];
  for (const message of peer.take()) {
    if (message.type !== T.EVENT) continue;
    const args = message.args!;
    const about = args.length === 1 ? args[0] : (args[0] as Dict).session;
    if (id !== undefined && about !== id) continue;
    seen.push(args.length === 1 ? `left ${String(args[0])}` : [args[0] as Dict, args[1] as Dict]);
  }
  return seen;
}

const rated = (bytes: number[], size: number) => bytes.reduce((sum, b) => sum + ratedMessages(b, size), 0);
const sum = (numbers: number[]) => numbers.reduce((a, b) => a + b, 0);

describe('session statistics - counting', () => {
  it('rates a message by its bytes in units of the rated size, and an unmeasured message as one', () => {
    assert.equal(ratedMessages(1, 512), 1);
    assert.equal(ratedMessages(512, 512), 1);
    assert.equal(ratedMessages(513, 512), 2);
    assert.equal(ratedMessages(1536, 512), 3);
    assert.equal(ratedMessages(0, 512), 1);
  });

  it('measures text frames in UTF-8 bytes without encoding them', () => {
    const meter = new SessionMeter({ due: () => {} }, {} as Session, settings({ afterRatedMessages: 1000 }), 1000);
    const sent = (text: string) => meter.sent({ lastEncoded: text, statsReport: false } as unknown as Parameters<SessionMeter<Session>['sent']>[0], 0);
    for (const text of ['abc', 'é', '€', '😀', 'a😀b€é', '\ud800x']) sent(text);
    assert.equal(meter.bytes, 3 + 2 + 3 + 4 + 11 + 4);
    assert.equal(meter.messages, 6);
  });

  it('asks for one report when the threshold is crossed, however often it is passed before the report', () => {
    const due: SessionMeter<Session>[] = [];
    const meter = new SessionMeter({ due: (m) => { due.push(m); m.queued = true; } }, {} as Session, settings({ afterRatedMessages: 3 }), 1000);
    meter.received(10);
    meter.received(100); // 2 rated messages: 3 in all
    assert.equal(due.length, 1);
    meter.received(10);
    assert.equal(due.length, 1);
    assert.deepEqual([meter.messages, meter.bytes, meter.rated], [3, 120, 4]);
  });

  it('counts a stats report it sends but is never made to report by one', () => {
    const due: SessionMeter<Session>[] = [];
    const meter = new SessionMeter({ due: (m) => due.push(m) }, {} as Session, settings({ afterRatedMessages: 1 }), 0);
    const report = new Envelope({ type: T.EVENT, subscription: 1, publication: 2, details: {}, args: [] });
    report.statsReport = true;
    report.lastEncoded = new Uint8Array(70);
    meter.sent(report, 4);
    assert.deepEqual([meter.messages, meter.bytes, meter.rated, due.length], [1, 66, 2, 0]);
  });

  it('reports in Crossbar\'s shape and starts a new cycle from the report', () => {
    const meter = new SessionMeter({ due: () => {} }, {} as Session, settings(), 1_000.5);
    meter.received(100);
    const first = meter.takeReport(3_000.5, 'msgpack', false);
    assert.deepEqual(first, {
      cycle: 1, serializer: 'msgpack', timestamp: 1_000_500_000, duration: 2_000_000_000,
      bytes: 100, messages: 1, rated_messages: 2, first: true, last: false,
    });
    const second = meter.takeReport(3_500.5, 'msgpack', true);
    assert.deepEqual([second.cycle, second.first, second.last, second.messages, second.bytes, second.duration], [2, false, true, 0, 0, 500_000_000]);
  });
});

describe('session statistics - reports on wamp.session.on_stats', () => {
  it('reports on join, after N rated messages and on leave (after on_leave), with counts in and out and the first/last flags', async () => {
    const h = harness(settings({ onJoin: true, afterRatedMessages: 6 }));
    const monitor = await h.join();
    await subscribeToStats(monitor.peer);
    const { peer: client, id } = await joinJson(h, 'meter-me');
    await flush();
    const [joined] = reports(monitor.peer, id) as [Dict, Dict][];
    assert.deepEqual(joined![0], { realm: 'realm1', session: id, authid: 'meter-me', authrole: 'anonymous' });
    // Counting starts with HELLO: HELLO and WELCOME are in the join report.
    assert.deepEqual({ ...joined![1], timestamp: 0, duration: 0 }, {
      cycle: 1, serializer: 'json', timestamp: 0, duration: 0, bytes: client.receivedBytes[0]! + client.sentBytes[0]!, messages: 2,
      rated_messages: rated([client.receivedBytes[0]!, client.sentBytes[0]!], 64), first: true, last: false,
    });

    // Three acknowledged publications of about 100 bytes each: 2 rated messages per PUBLISH, 1 per PUBLISHED.
    const sentBefore = client.sentBytes.length;
    const inBytes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const publish = [T.PUBLISH, 10 + i, { acknowledge: true }, 'app.data', ['x'.repeat(60)]];
      inBytes.push(Buffer.byteLength(JSON.stringify(publish)));
      client.raw(publish);
    }
    await flush();
    const outBytes = client.sentBytes.slice(sentBefore);
    assert.ok(inBytes.every((b) => b > 64 && b <= 128), `each PUBLISH is two rated messages: ${inBytes}`);
    const [counted] = reports(monitor.peer, id) as [Dict, Dict][];
    assert.ok(counted, 'a report after 6 rated messages');
    assert.deepEqual([counted[1].cycle, counted[1].first, counted[1].last], [2, false, false]);
    // The report comes at the end of the turn that crossed the threshold: everything of that turn is in it.
    assert.equal(counted[1].messages, 6);
    assert.equal(counted[1].bytes, sum(inBytes) + sum(outBytes));
    assert.equal(counted[1].rated_messages, rated(inBytes, 64) + rated(outBytes, 64));

    client.raw([T.GOODBYE, {}, 'wamp.close.close_realm']);
    await flush();
    const afterLeave = reports(monitor.peer, id);
    assert.equal(afterLeave[0], `left ${id}`);
    const last = (afterLeave[1] as [Dict, Dict])[1];
    assert.deepEqual([last.cycle, last.first, last.last, last.messages], [3, false, true, 2]); // GOODBYE in, GOODBYE out
    assert.equal(afterLeave.length, 2);
  });

  it('a session that leaves before any report has one report, both first and last; none with trigger_on_leave false', async () => {
    for (const onLeave of [true, false]) {
      const h = harness(settings({ afterRatedMessages: 1000, onLeave }));
      const monitor = await h.join();
      await subscribeToStats(monitor.peer);
      const { peer: client, id } = await joinJson(h, 'brief');
      client.raw([T.GOODBYE, {}, 'wamp.close.close_realm']);
      await flush();
      const seen = reports(monitor.peer, id);
      if (!onLeave) {
        assert.deepEqual(seen, [`left ${id}`]);
        continue;
      }
      const last = (seen[1] as [Dict, Dict])[1];
      assert.deepEqual([last.cycle, last.first, last.last, last.messages], [1, true, true, 4]); // HELLO, WELCOME, GOODBYE both ways
    }
  });

  it('a monitor that receives reports is not made to report about itself by them (no feedback loop)', async () => {
    const h = harness(settings({ afterRatedMessages: 1, onLeave: false }));
    const monitor = await joinJson(h, 'monitor');
    await subscribeToStats(monitor.peer);
    for (let i = 0; i < 5; i++) await flush();
    monitor.peer.take();
    // Every message of the busy client is a rated message: each PUBLISH reports it; the monitor receives those reports.
    const { peer: client } = await joinJson(h, 'busy');
    for (let i = 0; i < 5; i++) client.raw([T.PUBLISH, 5 + i, {}, 'app.data', []]);
    for (let i = 0; i < 10; i++) await flush();
    const seen = reports(monitor.peer) as [Dict, Dict][];
    assert.ok(seen.length > 0);
    assert.deepEqual([...new Set(seen.map(([who]) => who.authid))], ['busy'], 'only the busy client is reported, never the monitor');
  });

  it('reports every period to sessions that had traffic, from one shared timer, and not to idle ones', async () => {
    const h = harness(settings({ afterDurationMs: 40, onLeave: false }));
    const stats = h.router.realm('realm1')!.stats!;
    assert.equal(stats.tickMs, 10);
    const monitor = await h.join();
    await subscribeToStats(monitor.peer);
    const { peer: busy } = await joinJson(h, 'busy');
    await joinJson(h, 'idle');
    const seen: [Dict, Dict][] = [];
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && seen.filter(([who]) => who.authid === 'busy').length < 2) {
      busy.raw([T.PUBLISH, 5, {}, 'app.data', []]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen.push(...(reports(monitor.peer) as [Dict, Dict][]));
    }
    const busyReports = seen.filter(([who]) => who.authid === 'busy');
    assert.equal(busyReports.length, 2, 'two periodic reports for the busy session');
    assert.ok(busyReports.every(([, s]) => (s.duration as number) >= 40_000_000), 'each covers at least one period');
    // The idle session's HELLO and WELCOME (counted before the first tick) may be reported once; nothing after.
    assert.ok(seen.filter(([who]) => who.authid === 'idle').length <= 1);
  });

  it('counts the reports it publishes, by realm and trigger', async () => {
    const h = harness(settings({ onJoin: true, afterRatedMessages: 3, afterDurationMs: 40 }));
    const counted = (trigger: string) => h.router.metrics.statsReports.value({ realm: 'realm1', trigger });
    for (let i = 0; i < 5; i++) await flush(); // the meta API's session joins: it publishes the reports
    const { peer: client } = await joinJson(h, 'counted');
    await flush();
    assert.deepEqual(['join', 'rated_messages', 'leave'].map(counted), [1, 0, 0]);
    // Three small publications are three rated messages: one report at the end of the turn.
    for (let i = 0; i < 3; i++) client.raw([T.PUBLISH, 5 + i, {}, 'app.data', []]);
    await flush();
    assert.equal(counted('rated_messages'), 1);
    // One more, then the period passes: the duration timer reports it.
    client.raw([T.PUBLISH, 9, {}, 'app.data', []]);
    await waitFor(() => counted('duration') === 1, 'a report on the duration trigger');
    client.raw([T.GOODBYE, {}, 'wamp.close.close_realm']);
    await flush();
    assert.deepEqual(['join', 'rated_messages', 'duration', 'leave'].map(counted), [1, 1, 1, 1]);
  });

  it('meters client sessions only, and nothing without a stats block', async () => {
    const plain = new RouterHarness();
    await joinJson(plain, 'plain');
    assert.equal(plain.router.realm('realm1')!.stats, undefined);
    assert.ok([...plain.router.realm('realm1')!.sessions.values()].every((s) => s.meter === undefined));
    const metered = harness(settings({ afterRatedMessages: 5 }));
    const { id } = await joinJson(metered, 'metered');
    const realm = metered.router.realm('realm1')!;
    assert.ok(realm.session(id)!.meter);
  });

  it('refuses stats on a realm without the meta API', () => {
    assert.throws(() => new RouterHarness({ realm: { stats: settings({ afterRatedMessages: 1 }), enableMetaApi: false } }),
      /session statistics are published by the meta API, which is off/);
  });
});
