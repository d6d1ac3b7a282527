/**
 * A credential in a connection URL's query (`/ws?token=...`, `/sse?ticket=...`: the only way a
 * browser's WebSocket or EventSource can send one) must not show to anyone who reads session
 * details (wamp.session.get, and through the same sessionDetails the console's
 * junction.session.list; the forwarder's on_join / on_leave webhooks), the debug log or the metrics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ForwarderComponentConfig, JunctionConfig, SseService } from '../../src/config/model.js';
import { createLogger } from '../../src/node/logger.js';
import type { RunningNode } from '../../src/node/node.js';
import { TestApp } from '../bridge/forwarder-app.js';
import { RawClient } from '../support/raw-client.js';
import { startTestNode, testConfig } from '../support/node.js';
import { waitFor } from '../support/wait.js';
import { openStream } from '../transport/sse-reader.js';

const WS_TOKEN = 'ws-token-9f3b1c7e';
const SSE_TICKET = 'sse-ticket-5a2d8e4f';

function sseTicketPath(): SseService {
  return {
    type: 'sse', realm: 'realm1',
    auth: { ticket: { type: 'static', principals: { joe: { ticket: SSE_TICKET, role: 'anonymous' } } } },
    cookieName: 'junction_ticket', heartbeatMs: 15_000, maxTopics: 4, maxBufferedBytes: 1_048_576, maxStreams: 100, maxPerAddress: 100, resumeWaitMs: 1000,
  };
}

function lifecycleForwarder(url: string): ForwarderComponentConfig {
  return {
    kind: 'forwarder', id: 'presence', realm: 'realm1', role: 'anonymous',
    subscriptions: ['wamp.session.on_join', 'wamp.session.on_leave'].map((topic) => ({ topic, match: 'exact' as const, url })),
    method: 'POST', headers: {}, signingSecret: 'hook-secret',
    timeoutMs: 5_000, concurrencyPerUrl: 4,
    retry: { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 100 },
    outboxLimit: 1_000, outboxLimitBytes: 10_000_000,
  };
}

describe('a credential in the connection URL query', { timeout: 30_000 }, () => {
  const logged: string[] = [];
  const app = new TestApp();
  let node: RunningNode & { url: string };
  let dataDir: string;

  before(async () => {
    await app.start();
    dataDir = mkdtempSync(join(tmpdir(), 'junction-query-secrets-'));
    const config: JunctionConfig = testConfig();
    config.listeners[0]!.paths['/sse'] = sseTicketPath();
    config.components = [lifecycleForwarder(app.url)];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => logged.push(chunk.toString('utf8')));
    node = await startTestNode(config, { dataDir, log: createLogger('debug', sink) });
  });

  after(async () => {
    await node?.stop();
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the path without the query in session details, webhooks, logs and metrics', async () => {
    const client = await RawClient.open(`${node.url}?token=${WS_TOKEN}&lang=en`);
    const welcome = await client.hello();
    const wsSession = welcome[1] as number;
    const stream = await openStream(`http://127.0.0.1:${node.ports.get('test')}/sse?topic=news.a&ticket=${SSE_TICKET}&authid=joe`);
    await waitFor(() => node.router.realm('realm1')!.sessions.size >= 3, 'the SSE session joined');

    client.send([48, 1, {}, 'wamp.session.list', []]);
    const listed = await client.next();
    const ids = (listed[3] as [number[]])[0];
    const details: Record<string, unknown>[] = [];
    for (const [index, id] of ids.entries()) {
      client.send([48, 10 + index, {}, 'wamp.session.get', [id]]);
      details.push((((await client.next())[3]) as [Record<string, unknown>])[0]);
    }

    const byType = (type: string) => details.find((session) => (session.transport as { type: string }).type === type);
    assert.deepEqual((byType('websocket')!.transport as { extra: unknown }).extra, { path: '/ws' });
    assert.deepEqual((byType('sse')!.transport as { extra: unknown }).extra, { path: '/sse' });
    assert.equal(byType('websocket')!.session, wsSession);

    stream.close();
    client.close();
    await waitFor(() => app.accepted.filter((request) => request.headers['x-junction-topic'] === 'wamp.session.on_leave').length >= 2, 'both leaves forwarded');

    const seen = [
      ['session details', JSON.stringify(details)],
      ['webhook bodies', app.accepted.map((request) => request.body).join('\n')],
      ['the debug log', logged.join('')],
      ['the metrics', node.metrics.exposition()],
    ] as const;
    assert.ok(seen[1][1].includes('"path":"/ws"'), 'the webhook shows the path');
    for (const [where, text] of seen) {
      for (const secret of [WS_TOKEN, SSE_TICKET]) assert.ok(!text.includes(secret), `${where} shows ${secret}`);
    }
  });
});
