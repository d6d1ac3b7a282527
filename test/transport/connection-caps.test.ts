/**
 * Connection caps of the SSE and long-poll services: per path (503) and per client address (429,
 * trusted proxies considered), refused with a JSON {error, message} before any session is
 * attached, and given back when a stream ends or a transport closes (client close, session
 * killed), so that the client can open again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jsonCodec } from '../../src/codec/index.js';
import type { JunctionConfig, SseService } from '../../src/config/model.js';
import type { RunningNode } from '../../src/node/node.js';
import { InternalSession } from '../../src/router/internal-session.js';
import { startTestNode, testConfig, testLongPoll } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { decodeBody, encodeBody, post, type HttpAnswer } from './behaviour/drivers/longpoll.js';
import { openRefused, openStream } from './sse-reader.js';

const anonymous = (authid: string) => ({ anonymous: { type: 'static' as const, role: 'anonymous', authid } });

function sse(overrides: Partial<SseService>): SseService {
  return {
    type: 'sse', realm: 'realm1', auth: anonymous('sse-listener'),
    cookieName: 'junction_ticket', heartbeatMs: 15_000, maxTopics: 4, maxBufferedBytes: 1_048_576, maxStreams: 10_000, maxPerAddress: 100, resumeWaitMs: 1000,
    ...overrides,
  };
}

function config(): JunctionConfig {
  const base = testConfig();
  // 127.0.0.1 is a trusted proxy: X-Forwarded-For names the client, so one test machine can be several addresses.
  base.listeners[0]!.trustedProxies = ['127.0.0.1'];
  Object.assign(base.listeners[0]!.paths, {
    '/sse-per-address': sse({ maxPerAddress: 2 }),
    '/sse-full': sse({ maxStreams: 1, maxPerAddress: 0, auth: anonymous('sse-full-listener') }),
    '/lp-per-address': testLongPoll({ maxPerAddress: 2 }),
    '/lp-full': testLongPoll({ maxTransports: 1, maxPerAddress: 0, auth: anonymous('lp-full-client') }),
  });
  return base;
}

describe('connection caps', { timeout: 30_000 }, () => {
  let node: RunningNode;
  let http: string;
  let admin: InternalSession;

  const metric = (name: string, labels: string): number => {
    const line = node.metrics.exposition().split('\n').find((text) => text.startsWith(`${name}{${labels}} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  const from = (address: string) => ({ 'x-forwarded-for': address });

  before(async () => {
    node = await startTestNode(config());
    http = `http://127.0.0.1:${node.ports.get('test')}`;
    admin = await InternalSession.join((peer, gate, options) => node.router.attach(peer, gate, options), 'realm1', { authid: 'admin', authrole: 'anonymous' });
  });

  after(async () => {
    await node?.stop();
  });

  describe('SSE', () => {
    it('refuses a third stream from one address with 429 before any session exists; other addresses are not affected; closing one lets it open again', async () => {
      const url = `${http}/sse-per-address?topic=news`;
      const first = await openStream(url, from('198.51.100.7'));
      const second = await openStream(url, from('198.51.100.7'));
      const sessions = node.router.sessionCount;

      const refused = await openRefused(url, from('198.51.100.7'));
      assert.equal(refused.status, 429);
      assert.match(String(refused.headers['content-type']), /^application\/json/);
      assert.equal(refused.body.error, 'too_many_streams_from_address');
      assert.match(refused.body.message, /already holds 2 streams/);
      assert.equal(node.router.sessionCount, sessions, 'a refused request attaches no session');
      assert.equal(metric('junction_sse_capped_total', 'reason="too_many_streams_from_address"'), 1);

      const elsewhere = await openStream(url, from('198.51.100.8'));
      first.close();
      await waitFor(() => node.router.sessionCount === sessions, 'the closed stream to leave');
      const again = await openStream(url, from('198.51.100.7'));
      assert.equal(again.status, 200);
      for (const stream of [second, elsewhere, again]) stream.close();
    });

    it('refuses a stream over max_streams with 503; a stream whose session is killed gives its place back', async () => {
      const url = `${http}/sse-full?topic=news`;
      const only = await openStream(url, from('203.0.113.1'));
      const refused = await openRefused(url, from('203.0.113.2'));
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error, 'too_many_streams');
      assert.match(refused.body.message, /already has 1 stream open/);
      assert.equal(metric('junction_sse_capped_total', 'reason="too_many_streams"'), 1);

      const killed = await admin.call('wamp.session.kill_by_authid', ['sse-full-listener']);
      assert.equal((killed.args[0] as number[]).length, 1);
      await only.waitForEnd();
      const next = await openStream(url, from('203.0.113.2'));
      assert.equal(next.status, 200);
      next.close();
    });
  });

  describe('long-poll', () => {
    const open = (base: string, address: string): Promise<HttpAnswer> =>
      post(`${base}/open`, JSON.stringify({ protocols: ['wamp.2.json'] }), { headers: { 'content-type': 'application/json', ...from(address) } });
    const transportOf = (answer: HttpAnswer): string => {
      assert.equal(answer.status, 200, answer.body.toString());
      return (JSON.parse(answer.body.toString()) as { transport: string }).transport;
    };
    const errorOf = (answer: HttpAnswer): { error: string; message: string } => {
      assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
      return JSON.parse(answer.body.toString()) as { error: string; message: string };
    };

    it('refuses a third open from one address with 429 and attaches nothing; after a close the address may open again', async () => {
      const base = `${http}/lp-per-address`;
      const first = transportOf(await open(base, '198.51.100.20'));
      transportOf(await open(base, '198.51.100.20'));
      const sessions = node.router.sessionCount;

      const refused = await open(base, '198.51.100.20');
      assert.equal(refused.status, 429);
      assert.equal(errorOf(refused).error, 'too_many_transports_from_address');
      assert.match(errorOf(refused).message, /already holds 2 transports/);
      assert.equal(node.router.sessionCount, sessions, 'a refused open attaches no session');
      assert.equal(metric('junction_longpoll_refused_opens_total', 'reason="too_many_transports_from_address"'), 1);

      transportOf(await open(base, '198.51.100.21'));
      assert.equal((await post(`${base}/${first}/close`)).status, 204);
      transportOf(await open(base, '198.51.100.20'));
    });

    it('refuses an open over max_transports with 503; a transport whose session is killed gives its place back', async () => {
      const base = `${http}/lp-full`;
      const only = transportOf(await open(base, '203.0.113.30'));
      assert.equal((await post(`${base}/${only}/send`, encodeBody(jsonCodec, false, [[1, 'realm1', { roles: { subscriber: {} } }]]))).status, 204);
      const welcome = await post(`${base}/${only}/receive`);
      assert.equal(decodeBody(jsonCodec, false, welcome.body)[0]![0], 2);

      const refused = await open(base, '203.0.113.31');
      assert.equal(refused.status, 503);
      assert.equal(errorOf(refused).error, 'too_many_transports');
      assert.match(errorOf(refused).message, /already has 1 transport open/);

      const killed = await admin.call('wamp.session.kill_by_authid', ['lp-full-client']);
      assert.equal((killed.args[0] as number[]).length, 1);
      const goodbye = await post(`${base}/${only}/receive`);
      assert.equal(decodeBody(jsonCodec, false, goodbye.body)[0]![0], 6);
      // Still the router's GOODBYE handshake: the session ends when the client answers it (or at session_timeout).
      assert.equal((await open(base, '203.0.113.31')).status, 503);
      assert.equal((await post(`${base}/${only}/send`, encodeBody(jsonCodec, false, [[6, {}, 'wamp.close.goodbye_and_out']]))).status, 204);
      const realm = node.router.realm('realm1')!;
      await waitFor(() => ![...realm.sessions.values()].some((session) => session.authid === 'lp-full-client'), 'the killed session to close');
      transportOf(await open(base, '203.0.113.31'));
    });
  });
});
