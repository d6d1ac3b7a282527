import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import { MessageType } from '../../protocol/codes.js';
import { Envelope } from '../../protocol/envelope.js';
import { silentLogger } from '../../router/log.js';
import type { SessionLink } from '../../router/peer.js';
import { longPollProtocols } from './protocols.js';
import { httpPollReply } from './poll-reply.js';
import { LongPollTransport, type LongPollTransportOptions } from './transport.js';

/** Just enough of a ServerResponse: records the answer. */
class FakeResponse extends EventEmitter {
  status = 0;
  body: Buffer | undefined;
  writableEnded = false;
  destroyed = false;
  writeHead(status: number): this {
    this.status = status;
    return this;
  }
  end(body?: Buffer): void {
    this.body = body;
    this.writableEnded = true;
  }
  get answered(): Promise<void> {
    return (async () => {
      for (let turn = 0; turn < 10 && !this.writableEnded; turn++) await new Promise((resolve) => setImmediate(resolve));
    })();
  }
}

const [jsonBatched, json] = longPollProtocols(['json']);

function transport(overrides: Partial<LongPollTransportOptions> = {}): { transport: LongPollTransport; link: SessionLink & { received: unknown[]; detached: number; garbage: string[] }; expired: number[] } {
  const expired: number[] = [];
  const t = new LongPollTransport('id', { type: 'longpoll', serializer: 'json', peer: 'test' }, {
    protocol: json!, requestTimeoutMs: 60_000, sessionTimeoutMs: 60_000, queueLimitBytes: 1_000, queueLimitMessages: 3,
    log: silentLogger, onSlowConsumer() {}, onSessionTimeout() {}, onClosed() {}, onExpired: () => expired.push(1), ...overrides,
  });
  const link = {
    received: [] as unknown[], detached: 0, garbage: [] as string[],
    receive(message: unknown) { link.received.push(message); },
    receiveGarbage(reason: string) { link.garbage.push(reason); },
    detach() { link.detached++; },
  };
  t.connect(link);
  return { transport: t, link, expired };
}

const event = (n: number): Envelope => new Envelope({ type: MessageType.EVENT, subscription: 1, publication: n, details: {}, args: [n] });
const poll = (t: LongPollTransport): FakeResponse => {
  const response = new FakeResponse();
  t.poll(httpPollReply(response as unknown as ServerResponse));
  return response;
};

describe('long-poll transport state', () => {
  it('after the router closes the session, delivers what was queued, then is closed and detached', async () => {
    const { transport: t, link } = transport();
    t.send(event(1));
    t.close();
    assert.equal(t.closed, false);
    const answer = poll(t);
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body!.toString()), [36, 1, 1, {}, [1]]);
    assert.equal(t.closed, true);
    await Promise.resolve();
    assert.equal(link.detached, 1);
  });

  it('a held receive gets messages sent in the same turn as one batch', async () => {
    const { transport: t } = transport({ protocol: jsonBatched! });
    const held = poll(t);
    t.send(event(1));
    t.send(event(2));
    await held.answered;
    assert.equal(held.body!.toString(), '[36,1,1,{},[1]]\u001e[36,1,2,{},[2]]\u001e');
  });

  it('a held receive whose connection died keeps the messages for the next poll', async () => {
    const { transport: t } = transport();
    const dead = poll(t);
    dead.destroyed = true;
    t.send(event(1));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(dead.writableEnded, false);
    const next = poll(t);
    assert.deepEqual(JSON.parse(next.body!.toString())[2], 1);
  });

  it('a slow consumer is closed: the held state is cleared and the session detached after the current operation', async () => {
    let slow = 0;
    const { transport: t, link } = transport({ onSlowConsumer: () => slow++ });
    for (let n = 1; n <= 4; n++) t.send(event(n));
    assert.equal(slow, 1);
    assert.equal(t.closed, true);
    assert.match(t.closedBecause, /slow consumer/);
    assert.equal(link.detached, 0, 'not inside the send');
    await Promise.resolve();
    assert.equal(link.detached, 1);
  });

  it('dispose answers a held receive empty', () => {
    const { transport: t } = transport();
    const held = poll(t);
    t.dispose('test');
    assert.equal(held.status, 204);
  });

  it('an undecodable body reaches the session as garbage with the reason', () => {
    const { transport: t, link } = transport();
    assert.equal(t.deliver(Buffer.from('[1,')).ok, false);
    assert.match(link.garbage[0]!, /could not decode the body as wamp\.2\.json/);
    assert.equal(t.deliver(Buffer.from('[1,"realm1",{}]')).ok, true);
    assert.deepEqual(link.received, [[1, 'realm1', {}]]);
  });

  it('reports its closing exactly once, whichever way it closes', () => {
    const closings = { routerClose: 0, dispose: 0, slowConsumer: 0 };
    const byRouter = transport({ onClosed: () => closings.routerClose++ }).transport;
    byRouter.close();
    byRouter.dispose('then the client closes too');
    const byClient = transport({ onClosed: () => closings.dispose++ }).transport;
    byClient.dispose('closed by the client');
    byClient.dispose('twice');
    byClient.close();
    const slow = transport({ onClosed: () => closings.slowConsumer++ }).transport;
    for (let n = 0; n < 5; n++) slow.send(event(n));
    slow.dispose('afterwards');
    assert.deepEqual(closings, { routerClose: 1, dispose: 1, slowConsumer: 1 });
  });

  it('expires after session_timeout without a request', async () => {
    let timeouts = 0;
    let closings = 0;
    const { transport: t, expired, link } = transport({ sessionTimeoutMs: 20, onSessionTimeout: () => timeouts++, onClosed: () => closings++ });
    for (let turn = 0; turn < 100 && expired.length === 0; turn++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(expired.length, 1);
    assert.equal(timeouts, 1);
    assert.equal(closings, 1);
    assert.equal(t.closed, true);
    await Promise.resolve();
    assert.equal(link.detached, 1);
  });
});

describe('long-poll transport room for paced bursts (Peer.hasRoom / whenRoom)', () => {
  it('has room while at most half of the message limit waits; a receive that takes enough resumes the burst', () => {
    const { transport: t } = transport({ queueLimitMessages: 4, queueLimitBytes: 100_000 });
    let resumed = 0;
    t.send(event(1));
    t.send(event(2));
    assert.equal(t.hasRoom(), true);
    t.send(event(3));
    assert.equal(t.hasRoom(), false);
    t.whenRoom(() => resumed++);
    poll(t); // takes one: 2 wait, half the limit
    assert.equal(resumed, 1);
    assert.equal(t.hasRoom(), true);
    poll(t);
    assert.equal(resumed, 1, 'resume runs once');
  });

  it('counts bytes against half the byte limit, and waits until a receive takes enough', () => {
    const big = (n: number): Envelope => new Envelope({ type: MessageType.EVENT, subscription: 1, publication: n, details: {}, args: ['x'.repeat(200)] });
    const { transport: t } = transport({ queueLimitMessages: 100, queueLimitBytes: 1_000 });
    let resumed = 0;
    for (let n = 0; n < 4; n++) t.send(big(n)); // 216 bytes each
    assert.equal(t.hasRoom(), false, '864 of 1,000 bytes wait');
    t.whenRoom(() => resumed++);
    poll(t);
    assert.equal(resumed, 0, '648 bytes still wait');
    poll(t);
    assert.equal(resumed, 1);
  });

  it('never resumes a burst for a transport that closed meanwhile', () => {
    const { transport: t } = transport({ queueLimitMessages: 2 });
    let resumed = 0;
    t.send(event(1));
    t.send(event(2));
    assert.equal(t.hasRoom(), false);
    t.whenRoom(() => resumed++);
    t.send(event(3)); // past the limit: closed as a slow consumer
    assert.equal(t.closed, true);
    poll(t);
    assert.equal(resumed, 0);
  });
});
