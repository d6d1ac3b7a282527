/**
 * Server-Sent Events end to end over raw HTTP (node http.get, as curl -N would read it): the
 * stream's format, heartbeats, every refusal before the stream starts, sign-in with a ticket from
 * the query, a cookie or a Bearer header, authorization by role, Last-Event-ID resume from event
 * history (with no gap or repeat at the seam), the slow-consumer policy, disconnect clean-up and
 * shutdown.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { JunctionConfig, PermissionConfig, SseService } from '../../src/config/model.js';
import { InternalSession } from '../../src/router/internal-session.js';
import type { RunningNode } from '../../src/node/node.js';
import { CaptureLog } from '../auth/support/capture-log.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { openRefused, openSse, openStream, SseReader } from './sse-reader.js';

function permission(uri: string, match: PermissionConfig['match'], subscribe: boolean): PermissionConfig {
  return {
    uri, match, cache: true,
    allow: { call: false, register: false, publish: false, subscribe },
    disclose: { caller: false, publisher: false },
  };
}

function sseService(overrides: Partial<SseService> = {}): SseService {
  return {
    type: 'sse', realm: 'realm1',
    auth: { anonymous: { type: 'static', role: 'anonymous' } },
    cookieName: 'junction_ticket', heartbeatMs: 15_000, maxTopics: 4, maxBufferedBytes: 1_048_576, maxStreams: 10_000, maxPerAddress: 100, resumeWaitMs: 1000,
    ...overrides,
  };
}

/** A principal whose authid is longer than a log line keeps of it. */
const longAuthid = `reader-${'r'.repeat(3_000)}`;

/** realm1 with history on "hist" and "logs.*", a role that may only read news.*, and SSE paths that differ in one setting each. */
function sseConfig(): JunctionConfig {
  const config = testConfig();
  const realm = config.realms[0]!;
  realm.roles.push({ name: 'reader', permissions: [permission('news.', 'prefix', true)] });
  realm.store.eventHistory = [
    { uri: 'hist', match: 'exact', limit: 1_000, limitBytes: 0 },
    { uri: 'logs.', match: 'prefix', limit: 100, limitBytes: 0 },
  ];
  const paths = config.listeners[0]!.paths;
  paths['/sse'] = sseService();
  paths['/sse-reader'] = sseService({ auth: { anonymous: { type: 'static', role: 'reader' } } });
  paths['/sse-ticket'] = sseService({ auth: { ticket: { type: 'static', principals: { joe: { ticket: 'joe-secret', role: 'reader' }, [longAuthid]: { ticket: 'long-secret', role: 'reader' } } } } });
  paths['/sse-quiet'] = sseService({ heartbeatMs: 50 });
  paths['/sse-small'] = sseService({ maxBufferedBytes: 32_768 });
  return config;
}

describe('SSE over HTTP', { timeout: 60_000 }, () => {
  const log = new CaptureLog();
  let node: RunningNode;
  let base: string;
  let publisher: InternalSession;

  const publish = (topic: string, args: unknown[] = [], kwargs?: Record<string, unknown>): Promise<number> =>
    publisher.publishAcknowledged(topic, args, kwargs);
  const metric = (name: string, labels = ''): number => {
    const line = node.metrics.exposition().split('\n').find((text) => text.startsWith(`${name}${labels} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  const sessions = (): number => node.router.realm('realm1')!.sessions.size;

  before(async () => {
    node = await startTestNode(sseConfig(), { log });
    base = `http://127.0.0.1:${node.ports.get('test')}`;
    publisher = await InternalSession.join((peer, gate, options) => node.router.attach(peer, gate, options), 'realm1', { authid: 'publisher', authrole: 'anonymous' });
  });

  after(async () => {
    await node?.stop();
  });

  it('streams events: 200 with no-cache headers, retry advice first, then id, event and JSON data', async () => {
    const stream = await openStream(`${base}/sse?topic=news.world&topic=sport`);
    assert.equal(stream.status, 200);
    assert.equal(stream.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.match(String(stream.headers['cache-control']), /no-cache/);
    assert.equal(stream.headers['x-accel-buffering'], 'no');
    assert.equal(stream.headers.connection, 'keep-alive');

    const first = await publish('news.world', [{ headline: 'hello\nworld' }], { lang: 'en' });
    const second = await publish('sport', [1, 2]);
    const [a, b] = await stream.waitForMessages(2);
    assert.deepEqual(stream.items[0], { kind: 'retry', ms: 3000 });
    assert.deepEqual({ ...a, id: undefined }, { id: undefined, publication: String(first), event: 'news.world', data: '{"args":[{"headline":"hello\\nworld"}],"kwargs":{"lang":"en"}}' });
    assert.deepEqual({ ...b, id: undefined }, { id: undefined, publication: String(second), event: 'sport', data: '{"args":[1,2],"kwargs":{}}' });
    // The id: the publication ID, then this node's position in its own publications (the only source here).
    assert.match(a!.id!, /^\d+:[A-Za-z0-9_-]{8}\.[0-9a-z]+$/);
    assert.match(stream.raw, /^retry: 3000\n\nid: \d+:\S+\nevent: news\.world\ndata: \{.*\}\n\n/);
    stream.close();
  });

  it('names the real topic for pattern subscriptions (match=prefix, wildcard=) and sends one message per publication', async () => {
    const stream = await openStream(`${base}/sse?topic=alerts.&match=prefix&wildcard=game..score`);
    const alert = await publish('alerts.fire', ['now']);
    const score = await publish('game.7.score', [3]);
    const messages = await stream.waitForMessages(2);
    assert.deepEqual(messages.map((m) => [m.publication, m.event]), [[String(alert), 'alerts.fire'], [String(score), 'game.7.score']]);

    // Subscribed exactly and by prefix: the publication reaches the stream through both subscriptions, but is sent once.
    const both = await openStream(`${base}/sse?topic=dup.a&prefix=dup.`);
    const once = await publish('dup.a', ['x']);
    const marker = await publish('dup.b', ['end']);
    const received = await both.waitForMessages(2);
    assert.deepEqual(received.map((m) => m.publication), [String(once), String(marker)]);
    stream.close();
    both.close();
  });

  it('sends bytes as the JSON binary convention', async () => {
    const stream = await openStream(`${base}/sse?topic=bytes`);
    await publish('bytes', [new Uint8Array([0, 1, 2])]);
    const [message] = await stream.waitForMessages(1);
    assert.deepEqual(JSON.parse(message!.data), { args: ['\u0000AAEC'], kwargs: {} });
    stream.close();
  });

  it('writes a keepalive comment after heartbeat_ms of silence', async () => {
    const stream = await openStream(`${base}/sse-quiet?topic=silence`);
    await stream.waitForComment('keepalive');
    stream.close();
  });

  it('answers a bad request with a 400 JSON body before any stream starts', async () => {
    const cases: [string, string, RegExp][] = [
      ['/sse', 'no_topic', /at least one topic/],
      ['/sse?topic=a&topic=b&topic=c&topic=d&topic=e', 'too_many_topics', /5 topics .* at most 4/],
      ['/sse?topics=a', 'unknown_parameter', /"topics"/],
      ['/sse?topic=a&match=glob', 'invalid_match', /got "glob"/],
      ['/sse?topic=has%20space', 'invalid_uri', /has space/],
      ['/sse?topic=x&authid=joe', 'authid_without_ticket', /authid/],
    ];
    for (const [path, code, message] of cases) {
      const refused = await openRefused(`${base}${path}`);
      assert.equal(refused.status, 400, path);
      assert.equal(refused.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(refused.body.error, code, path);
      assert.match(refused.body.message, message, path);
    }
    const posted = await fetch(`${base}/sse?topic=a`, { method: 'POST' });
    assert.equal(posted.status, 405);
    assert.equal(posted.headers.get('allow'), 'GET');
    await waitFor(() => sessions() === 0, 'no session left behind by refused requests');
  });

  it('applies the role: a topic it may not subscribe to is 403, one it may is streamed', async () => {
    const refused = await openRefused(`${base}/sse-reader?topic=news.a&topic=secret`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'not_authorized');
    assert.match(refused.body.message, /secret/);
    const stream = await openStream(`${base}/sse-reader?prefix=news.`);
    await publish('news.b', ['ok']);
    assert.equal((await stream.waitForMessages(1))[0]!.event, 'news.b');
    stream.close();
  });

  it('signs in with a ticket from the query, a Bearer header or the cookie; refuses none or a wrong one with 401', async () => {
    const missing = await openRefused(`${base}/sse-ticket?topic=news.a`);
    assert.deepEqual([missing.status, missing.body.error], [401, 'authentication_required']);
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    const wrong = await openRefused(`${base}/sse-ticket?topic=news.a&ticket=joe:guess`);
    assert.deepEqual([wrong.status, wrong.body.error], [401, 'authentication_failed']);

    const streams = [
      await openStream(`${base}/sse-ticket?topic=news.a&ticket=joe-secret&authid=joe`),
      await openStream(`${base}/sse-ticket?topic=news.a`, { authorization: 'Bearer joe:joe-secret' }),
      await openStream(`${base}/sse-ticket?topic=news.a`, { cookie: 'theme=dark; junction_ticket=joe%3Ajoe-secret' }),
    ];
    const id = await publish('news.a', ['for joe']);
    for (const stream of streams) assert.equal((await stream.waitForMessages(1))[0]!.publication, String(id));
    // The ticket's role (reader) decides what joe may read.
    const forbidden = await openRefused(`${base}/sse-ticket?topic=secret`, { authorization: 'Bearer joe:joe-secret' });
    assert.equal(forbidden.status, 403);
    for (const stream of streams) stream.close();
  });

  it('logs the authid of a stream clipped (a principal, or an authenticator, chose it)', async () => {
    const stream = await openStream(`${base}/sse-ticket?topic=news.a`, { authorization: `Bearer ${longAuthid}:long-secret` });
    const opened = log.lines.filter((line) => line.message === 'SSE stream open').at(-1);
    assert.match(String(opened?.fields.authid), /^reader-r{493}… \(3007 characters\)$/);
    stream.close();
  });

  it('resumes from Last-Event-ID: the events after it from history, then live ones', async () => {
    const ids: number[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await publish('hist', [i]));
    const stream = await openStream(`${base}/sse?topic=hist`, { 'last-event-id': String(ids[1]) });
    const replayed = await stream.waitForMessages(3);
    assert.deepEqual(replayed.map((m) => m.publication), ids.slice(2).map(String));
    assert.deepEqual(replayed.map((m) => JSON.parse(m.data).args[0]), [3, 4, 5]);
    const live = await publish('hist', [6]);
    assert.equal((await stream.waitForMessages(4))[3]!.publication, String(live));
    stream.close();

    // The same through the query parameter that EventSource polyfills use.
    const polyfill = await openStream(`${base}/sse?topic=hist&lastEventId=${ids[3]}`);
    assert.deepEqual((await polyfill.waitForMessages(2)).map((m) => m.publication), [String(ids[4]), String(live)]);
    polyfill.close();
  });

  it('waits for an unknown ID, then says so in a junction.resume_gap event and replays every kept event; goes live without history', async () => {
    const kept = await publish('hist', ['kept']);
    const unknown = await openStream(`${base}/sse?topic=hist`, { 'last-event-id': '12345' });
    const plain = await openStream(`${base}/sse?topic=nohistory`, { 'last-event-id': '12345' });
    await plain.waitForComment('no event history is kept');
    // After resume_wait (1 s here), never having heard of 12345:
    const [gap] = await unknown.waitForMessages(1);
    assert.equal(gap!.event, 'junction.resume_gap');
    assert.equal(gap!.id, undefined);
    assert.match(JSON.parse(gap!.data).reason, /event 12345 is not in the event history.*every kept event follows/);
    await waitFor(() => unknown.messages.some((m) => m.publication === String(kept)), 'the kept events replayed');
    const a = await publish('hist', ['live']);
    const b = await publish('nohistory', ['live']);
    await waitFor(() => unknown.messages.at(-1)?.publication === String(a), 'the live event after the replay');
    assert.equal((await plain.waitForMessages(1))[0]!.publication, String(b));
    unknown.close();
    plain.close();
  });

  it('resumes from an id of this version after exactly the events it names', async () => {
    const ids: number[] = [];
    for (let i = 1; i <= 3; i++) ids.push(await publish('hist', [`p${i}`]));
    const first = await openStream(`${base}/sse?topic=hist`, { 'last-event-id': String(ids[0]) });
    const [second] = await first.waitForMessages(1);
    first.close();
    const resumed = await openStream(`${base}/sse?topic=hist`, { 'last-event-id': second!.id! });
    const [third] = await resumed.waitForMessages(1);
    assert.equal(third!.publication, String(ids[2]));
    assert.match(third!.id!, /^\d+:/);
    resumed.close();
  });

  it('resumes an exact topic from the history of a pattern that covers it, that topic only', async () => {
    const first = await publish('logs.app', [1]);
    await publish('logs.db', ['other topic']);
    const second = await publish('logs.app', [2]);
    const stream = await openStream(`${base}/sse?topic=logs.app`, { 'last-event-id': String(first) });
    const [message] = await stream.waitForMessages(1);
    assert.deepEqual([message!.publication, message!.event], [String(second), 'logs.app']);
    stream.close();
  });

  it('has no gap and no repeat at the seam between history and live events while publishing goes on', async () => {
    const published: number[] = [];
    for (let i = 0; i < 20; i++) published.push(await publish('hist', [`before ${i}`]));
    const resumeAt = published.length - 1;
    // Publish on while the stream signs in, subscribes and reads history.
    let publishing = true;
    const running = (async () => {
      for (let i = 0; i < 300 && publishing; i++) {
        published.push(await publish('hist', [`during ${i}`]));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const stream = await openStream(`${base}/sse?topic=hist`, { 'last-event-id': String(published[resumeAt]) });
    await stream.waitForMessages(25);
    publishing = false;
    await running;
    const last = await publish('hist', ['last']);
    published.push(last);
    await waitFor(() => stream.messages.some((m) => m.publication === String(last)), 'the last event');
    assert.deepEqual(stream.messages.map((m) => m.publication), published.slice(resumeAt + 1).map(String));
    stream.close();
  });

  it('ends a stream whose client stops reading (slow consumer): counted, and its session leaves', async () => {
    const before = metric('junction_sse_streams_ended_total', '{cause="slow_consumer"}');
    const socket = connect(node.ports.get('test')!, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.write('GET /sse-small?topic=firehose HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => received.includes('retry:'), 'the stream to open');
    socket.pause(); // stops reading: the kernel buffers fill, then the response's buffer grows
    const closed = new Promise((resolve) => socket.on('close', resolve));
    const sessionsBefore = sessions();

    const chunk = 'z'.repeat(16_384);
    // Bounded: at most 2,000 events of 16 KB (32 MB), far above the 32 KB limit plus kernel buffers.
    for (let i = 0; i < 2_000 && metric('junction_sse_streams_ended_total', '{cause="slow_consumer"}') === before; i++) {
      await publish('firehose', [chunk]);
    }
    assert.equal(metric('junction_sse_streams_ended_total', '{cause="slow_consumer"}'), before + 1);
    await waitFor(() => sessions() === sessionsBefore - 1, 'the slow stream session to leave');
    socket.resume();
    await closed;
  });

  it('makes the session leave when the client disconnects', async () => {
    const before = sessions();
    const stream = await openStream(`${base}/sse?topic=bye`);
    assert.equal(sessions(), before + 1);
    stream.close();
    await waitFor(() => sessions() === before, 'the session to leave');
  });

  it('ends the stream when the router ends its session (kill by authid)', async () => {
    const stream = await openStream(`${base}/sse-ticket?topic=news.k`, { authorization: 'Bearer joe:joe-secret' });
    const killed = await publisher.call('wamp.session.kill_by_authid', ['joe'], { reason: 'wamp.close.killed' });
    assert.equal((killed.args[0] as number[]).length, 1);
    await stream.waitForEnd();
    assert.ok(stream.comments.some((comment) => comment.includes('wamp.close.killed')), stream.raw);
  });
});

describe('SSE at shutdown', () => {
  it('ends every stream with a comment, and refuses new ones', async () => {
    const config = testConfig();
    config.listeners[0]!.paths['/sse'] = sseService();
    const node = await startTestNode(config);
    const base = `http://127.0.0.1:${node.ports.get('test')}`;
    const streams = await Promise.all([openStream(`${base}/sse?topic=a`), openStream(`${base}/sse?topic=b`)]);
    const stopping = node.stop();
    for (const stream of streams) {
      await stream.waitForEnd();
      assert.match(stream.comments.join('\n'), /shutting down|system_shutdown/);
    }
    await stopping;
    await assert.rejects(openSse(`${base}/sse?topic=a`) as Promise<SseReader>);
  });

  it('refuses a stream asked while the router shuts down (the transport still listens) with 503 and the router\'s reason', { timeout: 30_000 }, async () => {
    const config = testConfig();
    config.listeners[0]!.paths['/sse'] = sseService();
    const node = await startTestNode(config);
    try {
      await node.router.shutdown(0);
      const refused = await openRefused(`http://127.0.0.1:${node.ports.get('test')}/sse?topic=a`);
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error, 'unavailable');
      assert.match(refused.body.message, /wamp\.close\.system_shutdown: the router is shutting down/);
    } finally {
      await node.stop();
    }
  });
});
