import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { embeddedDefaultConfig } from '../../src/config/defaults.js';
import type { RunningNode } from '../../src/node/node.js';
import { openAutobahn, type OpenSession } from '../support/autobahn.js';
import { startTestNode } from '../support/node.js';

/**
 * /metrics says exactly what it counts and agrees with /info (issue 13), on the embedded default,
 * which has the meta API and the HTTP bridge's own sessions beside the clients.
 */

let node: RunningNode & { url: string };
let base: string;
let client: OpenSession;

before(async () => {
  const config = embeddedDefaultConfig();
  config.listeners[0]!.endpoint.port = 0;
  node = await startTestNode(config);
  base = `http://127.0.0.1:${node.ports.get(config.listeners[0]!.id)}`;
  client = await openAutobahn(node.url);
});

after(async () => {
  await client?.close();
  await node?.stop();
});

/** Every sample of the exposition, by its name and labels as written ("name{a="b"}"). */
async function scrape(): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

const sample = (samples: Map<string, number>, name: string): number => samples.get(name) ?? 0;

describe('metrics', () => {
  it('counts one client PUBLISH as one client publication and one client message', async () => {
    const before = await scrape();
    await client.session.publish('metrics.one', ['x'], {}, { acknowledge: true });
    const after = await scrape();
    const delta = (name: string) => sample(after, name) - sample(before, name);
    assert.equal(delta('junction_publications_total{origin="client",realm="realm1"}'), 1);
    assert.equal(delta('junction_messages_received_total{origin="client"}'), 1);
    assert.equal(delta('junction_publications_total{origin="internal",realm="realm1"}'), 0);
  });

  it('counts the router\'s meta events apart from what clients send', async () => {
    const before = await scrape();
    const watcher = await openAutobahn(node.url);
    await watcher.session.subscribe('wamp.session.on_join', () => undefined);
    const joiner = await openAutobahn(node.url);
    await joiner.close();
    await watcher.close();
    const after = await scrape();
    const delta = (name: string) => sample(after, name) - sample(before, name);
    assert.ok(delta('junction_publications_total{origin="internal",realm="realm1"}') > 0, 'meta events count as internal publications');
    assert.equal(delta('junction_publications_total{origin="client",realm="realm1"}'), 0);
  });

  it('agrees with /info on client sessions, and counts the node\'s own sessions apart', async () => {
    const info = await (await fetch(`${base}/info`)).json() as { realms: { name: string; sessions: number }[] };
    const samples = await scrape();
    assert.deepEqual(info.realms, [{ name: 'realm1', sessions: 1 }]);
    assert.equal(sample(samples, 'junction_sessions{origin="client",realm="realm1"}'), 1);
    // The meta API's session, the HTTP publisher's and caller's, and the one serving the console's junction.* procedures.
    assert.equal(sample(samples, 'junction_sessions{origin="internal",realm="realm1"}'), 4);
  });

  it('times calls by realm and counts connections and bytes by transport', async () => {
    await client.session.register('metrics.add', (args: number[]) => args[0]! + args[1]!);
    const before = await scrape();
    assert.equal(await client.session.call('metrics.add', [2, 3]), 5);
    const after = await scrape();
    const delta = (name: string) => sample(after, name) - sample(before, name);
    assert.equal(delta('junction_call_duration_seconds_count{realm="realm1"}'), 1);
    assert.equal(delta('junction_calls_total{origin="client",realm="realm1"}'), 1);
    assert.equal(sample(after, 'junction_call_duration_seconds_bucket{realm="realm1",le="+Inf"}'), sample(after, 'junction_call_duration_seconds_count{realm="realm1"}'));
    // The WebSocket client and the connection of the scrape itself (fetch may keep it open).
    assert.ok(sample(after, 'junction_connections{transport="transport0"}') >= 1);
    assert.ok(delta('junction_bytes_received_total{transport="transport0"}') > 0);
    assert.ok(delta('junction_bytes_sent_total{transport="transport0"}') > 0);
  });

  it('reports the event-loop delay and garbage collection', async () => {
    const samples = await scrape();
    for (const quantile of ['0.5', '0.99', '1']) assert.ok(samples.has(`junction_event_loop_delay_seconds{quantile="${quantile}"}`), quantile);
    assert.ok(sample(samples, 'junction_event_loop_delay_seconds{quantile="1"}') >= sample(samples, 'junction_event_loop_delay_seconds{quantile="0.5"}'));
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(text, /^# TYPE junction_gc_pause_seconds_total counter$/m);
  });
});
