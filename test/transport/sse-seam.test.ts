/**
 * The seam between replay and held live events of a resuming SSE stream, with the interleaving
 * injected (no sleeps): a real router and broker with event history, and an authorizer that holds
 * the stream's last SUBSCRIBE until the test has published what must arrive in that window.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { anonymousGate } from '../../src/auth/anonymous.js';
import { storedEvents } from '../../src/node/web/sse-path.js';
import { MessageType } from '../../src/protocol/codes.js';
import type { Authorizer, Decision } from '../../src/router/hooks.js';
import { silentLogger } from '../../src/router/log.js';
import { DEFAULT_RETRY_MS, SseService } from '../../src/transport/sse/sse-service.js';
import { parseResumePoint } from '../../src/transport/sse/sse-resume-point.js';
import { flush, RouterHarness, type MemoryPeer } from '../support/router-harness.js';
import { openStream, type ReadMessage } from './sse-reader.js';

/** Lets every action through, except a SUBSCRIBE to "slow", whose answer the test gives. */
class HeldSubscribe implements Authorizer {
  private asked: (() => void) | undefined;
  private answer: ((decision: Decision) => void) | undefined;
  /** Resolves when the router asks about "slow". */
  readonly askedSlow = new Promise<void>((resolve) => (this.asked = resolve));

  authorize(_session: unknown, action: string, uri: string): Decision | Promise<Decision> {
    if (action !== 'subscribe' || uri !== 'slow') return { allow: true };
    this.asked?.();
    return new Promise((resolve) => (this.answer = resolve));
  }

  allowSlow(): void {
    this.answer?.({ allow: true });
  }
}

/** Each source's seq in an id: what a resume from it skips. */
function positionsOf(message: ReadMessage): ReadonlyMap<string, number> {
  const point = parseResumePoint(message.id!);
  assert.equal(point.kind, 'positions', message.id);
  return point.kind === 'positions' ? point.seen : new Map();
}

describe('SSE resume: live events held during set-up', { timeout: 30_000 }, () => {
  const authorizer = new HeldSubscribe();
  const harness = new RouterHarness({ authorizer, realm: { eventHistory: [{ uri: 'kept', match: 'exact', limit: 100, limitBytes: 0 }] } });
  let server: Server;
  let base: string;
  let publisher: MemoryPeer;
  let request = 0;

  const publish = async (topic: string): Promise<number> => {
    publisher.deliver({ type: MessageType.PUBLISH, request: ++request, options: { acknowledge: true }, topic, args: [topic] });
    await flush();
    const answer = publisher.take().find((message) => message.type === MessageType.PUBLISHED);
    assert.ok(answer?.type === MessageType.PUBLISHED, `publishing to ${topic} was not acknowledged`);
    return answer.publication;
  };

  before(async () => {
    const gate = anonymousGate('anonymous');
    const sse = new SseService({
      realm: 'realm1', maxTopics: 4, cookieName: 'junction_ticket', heartbeatMs: 0, maxBufferedBytes: 1_048_576,
      maxStreams: 10, maxPerAddress: 10, retryMs: DEFAULT_RETRY_MS, resumeWaitMs: 1_000,
      attach: (peer) => harness.router.attach(peer, gate),
      history: (subscription, reader) => storedEvents(harness.router, subscription, reader),
      positions: (realm) => harness.router.realm(realm)?.broker.positions,
      clientAddress: (incoming) => ({ address: incoming.socket.remoteAddress ?? '', label: 'test' }),
      log: silentLogger,
    });
    server = createServer((incoming, response) => sse.handle(incoming, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sse`;
    publisher = (await harness.join()).peer;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives a held event written after the replay an id that covers the replay, so a resume from it repeats nothing', async () => {
    // The client had the first kept event; it resumes on three topics, "slow" answered last.
    const first = await openStream(`${base}?topic=kept`);
    await publish('kept');
    const [had] = await first.waitForMessages(1);
    first.close();
    const opening = openStream(`${base}?topic=plain&topic=kept&topic=slow`, { 'last-event-id': had!.id! });
    await authorizer.askedSlow;
    // While "slow" waits: an event without history (held, not in the replay), then a kept one (held, and in the replay).
    const unkept = await publish('plain');
    const kept = await publish('kept');
    authorizer.allowSlow();
    const stream = await opening;
    const [replayed, released] = await stream.waitForMessages(2);
    assert.deepEqual([replayed!.publication, released!.publication], [String(kept), String(unkept)], 'the replay, then the held event it did not carry');
    // Each id covers every event written before it: a resume from the last one skips them all.
    for (const [from, seq] of positionsOf(replayed!)) assert.ok((positionsOf(released!).get(from) ?? 0) >= seq, `${released!.id} is behind ${replayed!.id}`);
    stream.close();

    const resumed = await openStream(`${base}?topic=plain&topic=kept`, { 'last-event-id': released!.id! });
    const next = await publish('kept');
    const [again] = await resumed.waitForMessages(1);
    assert.equal(again!.publication, String(next), `the resume repeated publication ${again!.publication}`);
    resumed.close();
  });
});
