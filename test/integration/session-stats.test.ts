/**
 * A realm's `stats` end to end: a config with Crossbar's stats block, a node, and AutobahnJS
 * clients. A monitor subscribes to wamp.session.on_stats as Crossbar's own example does; another
 * client joins, publishes, leaves; the reports arrive in order with the counts, cycles and flags
 * Crossbar gives. A second realm reports by time; a role without the permission is refused.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { configDocument, loadDocument } from '../../src/config/test-support.js';
import { startNode, type RunningNode } from '../../src/node/node.js';
import { jsonCodec, msgpackCodec, type Codec } from '../../src/codec/index.js';
import { silentLogger } from '../../src/router/log.js';
import { RawSocketClient } from '../transport/rawsocket-client.js';
import { LongPollConnection } from '../transport/behaviour/drivers/longpoll.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { waitFor } from '../support/wait.js';

const RATED_SIZE = 128;
const PUBLICATIONS = 4;
/** Each PUBLISH carries this many characters: three rated messages of 128 bytes. */
const PAYLOAD_CHARS = 300;

const permissions = {
  monitor: [{ uri: '', match: 'prefix', allow: { subscribe: true, publish: true } }],
  anonymous: [{ uri: 'app.', match: 'prefix', allow: { subscribe: true, publish: true } }],
};
const roles = Object.entries(permissions).map(([name, rules]) => ({ name, permissions: rules }));

const document = configDocument({
  realms: [
    { name: 'realm1', roles, stats: { rated_message_size: RATED_SIZE, trigger_after_rated_messages: 10, trigger_on_join: true } },
    { name: 'timed', roles, stats: { trigger_after_duration: 1, trigger_on_leave: false } },
  ],
  transports: [
    { type: 'websocket', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, auth: { anonymous: { type: 'static', role: 'monitor' } } },
    { type: 'websocket', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, auth: { anonymous: { type: 'static', role: 'anonymous' } } },
    { type: 'rawsocket', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, serializers: ['json'], auth: { anonymous: { type: 'static', role: 'anonymous' } } },
    { type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' }, paths: { lp: { type: 'longpoll' } } },
  ],
});

type Report = [who: Record<string, unknown>, stats: Record<string, number | string | boolean>];

let node: RunningNode;
const opened: OpenSession[] = [];

async function open(transport: 'monitor' | 'client', realm = 'realm1'): Promise<OpenSession> {
  const session = await openAutobahn(node.urls[transport === 'monitor' ? 0 : 1]!, 'json', { realm });
  opened.push(session);
  return session;
}

/** Subscribes a monitor to the reports and on_leave; returns what it saw, in order ('left <id>' for on_leave). */
async function watch(monitor: OpenSession): Promise<(Report | string)[]> {
  const seen: (Report | string)[] = [];
  await monitor.session.subscribe('wamp.session.on_stats', (args: unknown[]) => seen.push(args as Report));
  await monitor.session.subscribe('wamp.session.on_leave', (args: unknown[]) => seen.push(`left ${String(args[0])}`));
  return seen;
}

function about(seen: (Report | string)[], id: number): (Report | string)[] {
  return seen.filter((entry) => (typeof entry === 'string' ? entry === `left ${id}` : entry[0].session === id));
}

/** A client driven message by message: the RawSocket and long-poll test clients. */
interface WireClient {
  send(message: unknown[]): void;
  next(match: (message: unknown[]) => boolean): Promise<unknown[]>;
}

/**
 * One session of `client`, by hand: HELLO and WELCOME, an acknowledged PUBLISH of `payload` and
 * its PUBLISHED, GOODBYE both ways. Resolves, once its last report came, to every message in
 * order, its reports, and the sum of each count over them.
 */
async function meteredSession(client: WireClient, seen: (Report | string)[], payload: unknown[]): Promise<{ exchanged: unknown[][]; reports: Report[]; total: (key: string) => number }> {
  const exchanged: unknown[][] = [];
  const exchange = async (message: unknown[], answer: number) => {
    client.send(message);
    exchanged.push(message, await client.next((m) => m[0] === answer));
  };
  await exchange([1, 'realm1', { roles: { publisher: {} } }], 2);
  const id = exchanged[1]![1] as number;
  await exchange([16, 1, { acknowledge: true }, 'app.metered', payload], 17);
  await exchange([6, {}, 'wamp.close.close_realm'], 6);
  await waitFor(() => about(seen, id).some((entry) => typeof entry !== 'string' && entry[1].last === true), 'the last report');
  const reports = about(seen, id).filter((entry): entry is Report => typeof entry !== 'string');
  return { exchanged, reports, total: (key) => reports.reduce((sum, [, stats]) => sum + (stats[key] as number), 0) };
}

before(async () => {
  node = await startNode(loadDocument(document), { log: silentLogger, shutdownGraceMs: 100 });
});

after(async () => {
  await Promise.all(opened.map((session) => session.close().catch(() => {})));
  await node.stop();
});

describe('session statistics (wamp.session.on_stats) with AutobahnJS', () => {
  it('reports a session on join, after 10 rated messages and on leave, after its on_leave, with every message counted once', async () => {
    const monitor = await open('monitor');
    const seen = await watch(monitor);
    const client = await open('client');
    const id = client.session.id as number;
    for (let i = 0; i < PUBLICATIONS; i++) {
      await client.session.publish('app.readings', ['x'.repeat(PAYLOAD_CHARS)], {}, { acknowledge: true });
    }
    await client.close();
    await waitFor(() => about(seen, id).some((entry) => typeof entry !== 'string' && entry[1].last === true), 'the last report');

    const mine = about(seen, id);
    const reports = mine.filter((entry): entry is Report => typeof entry !== 'string');
    // on join, one after the threshold (PUBLISH 3 rated + PUBLISHED 1: the third PUBLISH crosses 10), on leave.
    assert.deepEqual(reports.map(([, stats]) => [stats.cycle, stats.first, stats.last]), [[1, true, false], [2, false, false], [3, false, true]]);
    assert.equal(mine.indexOf(`left ${id}`), mine.length - 2, 'the last report follows on_leave');
    for (const [who, stats] of reports) {
      assert.deepEqual(who, { realm: 'realm1', session: id, authid: who.authid, authrole: 'anonymous' });
      assert.equal(typeof who.authid, 'string');
      assert.equal(stats.serializer, 'json');
      assert.ok(Number.isInteger(stats.timestamp) && Math.abs((stats.timestamp as number) / 1e6 - Date.now()) < 60_000, `timestamp in ns: ${stats.timestamp}`);
      assert.ok(Number.isInteger(stats.duration) && (stats.duration as number) >= 0);
      assert.ok((stats.rated_messages as number) >= (stats.messages as number), 'every message is at least one rated message');
      assert.ok((stats.rated_messages as number) * RATED_SIZE >= (stats.bytes as number), 'rated messages cover the bytes');
    }
    // The join report has HELLO and WELCOME.
    assert.equal(reports[0]![1].messages, 2);
    assert.ok((reports[1]![1].rated_messages as number) >= 10);
    // HELLO, WELCOME, PUBLISH and PUBLISHED each time, GOODBYE both ways: each counted once across the reports.
    const total = (key: string) => reports.reduce((sum, [, stats]) => sum + (stats[key] as number), 0);
    assert.equal(total('messages'), 2 + 2 * PUBLICATIONS + 2);
    assert.ok(total('bytes') > PUBLICATIONS * PAYLOAD_CHARS);
    assert.ok(total('rated_messages') >= PUBLICATIONS * 3 + PUBLICATIONS + 2);
  });

  it('reports a busy session every trigger_after_duration seconds (realm "timed"); an idle one is not reported', async () => {
    const monitor = await open('monitor', 'timed');
    const seen = await watch(monitor);
    const busy = await open('client', 'timed');
    const idle = await open('client', 'timed');
    const busyId = busy.session.id as number;
    const started = Date.now();
    // Bounded: at most 40 publications, 100 ms apart, until the busy session has two reports.
    for (let i = 0; i < 40 && about(seen, busyId).length < 2; i++) {
      await busy.session.publish('app.tick', [i], {}, { acknowledge: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const reports = about(seen, busyId) as Report[];
    assert.ok(reports.length >= 2, `two periodic reports within ${Date.now() - started} ms`);
    assert.deepEqual(reports.slice(0, 2).map(([, stats]) => [stats.cycle, stats.first, stats.last]), [[1, true, false], [2, false, false]]);
    for (const [, stats] of reports) assert.ok((stats.duration as number) >= 1e9, `a period of at least a second: ${stats.duration}`);
    // The idle session's HELLO and WELCOME may make it one report; after that it has nothing to report.
    assert.ok(about(seen, idle.session.id as number).length <= 1);
  });

  it('counts a RawSocket session at its serialized sizes, without the 4-byte frame headers', async () => {
    const monitor = await open('monitor');
    const seen = await watch(monitor);
    const client = await RawSocketClient.open({ port: node.ports.get('transport2')! });
    const { exchanged, total } = await meteredSession(client, seen, ['y'.repeat(PAYLOAD_CHARS)]);
    client.close();
    const bytes = exchanged.map((message) => Buffer.byteLength(jsonCodec.encode(message) as string));
    assert.equal(total('messages'), 6);
    assert.equal(total('bytes'), bytes.reduce((a, b) => a + b, 0));
    assert.equal(total('rated_messages'), bytes.reduce((sum, b) => sum + Math.ceil(b / RATED_SIZE), 0));
  });

  it('counts a long-poll session at its serialized sizes, batched or not: without the batch separators or length prefixes', async () => {
    const monitor = await open('monitor');
    const seen = await watch(monitor);
    const base = `http://127.0.0.1:${node.ports.get('transport3')!}/lp`;
    const cases: [Codec, boolean][] = [[jsonCodec, false], [jsonCodec, true], [msgpackCodec, true]];
    for (const [codec, batched] of cases) {
      const client = await LongPollConnection.open(base, codec, batched);
      const { exchanged, reports, total } = await meteredSession(client, seen, ['z'.repeat(PAYLOAD_CHARS), 'é€']);
      await client.drop();
      const what = `${codec.name}${batched ? ' batched' : ''}`;
      // Each message as the codec encodes it alone: what the router read and wrote, less the framing.
      const bytes = exchanged.map((message) => {
        const encoded = codec.encode(message);
        return typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.byteLength;
      });
      assert.equal(total('messages'), 6, what);
      assert.equal(total('bytes'), bytes.reduce((a, b) => a + b, 0), what);
      assert.equal(total('rated_messages'), bytes.reduce((sum, b) => sum + Math.ceil(b / RATED_SIZE), 0), what);
      assert.equal(reports[0]![1].serializer, codec.name, what);
    }
  });

  it('a role that may not subscribe to wamp.session.on_stats gets the usual refusal', async () => {
    const client = await open('client');
    await assert.rejects(client.session.subscribe('wamp.session.on_stats', () => {}), (error: { error?: string }) => {
      assert.equal(error.error, 'wamp.error.not_authorized');
      return true;
    });
  });
});
