import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OpenSession } from '../support/autobahn.js';
import { startClusterNodes } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import type { RunningRedis } from '../support/redis-server.js';
import { testRun } from '../support/test-run.js';
import { waitFor } from '../support/wait.js';
import { openStream, type ReadMessage, type SseReader } from '../transport/sse-reader.js';
import { freshSse } from './support/fresh-http.js';

/**
 * SSE resume across nodes: a stream's event ids name the publication and the stream's position in
 * each node's publications, the same on every node, and every node keeps the history of every
 * publication (a restarted one copies it), so a client that reconnects to another node with
 * Last-Event-ID gets exactly what it missed, even when the nodes saw publications of two nodes in
 * different orders, or the new node has not heard the client's last event yet. With --workers each
 * worker accepts fresh connections as it is free, so consecutive ones reach both workers, though
 * not strictly in turn.
 */

const run = testRun();
const streams: SseReader[] = [];
run.onStop(() => streams.forEach((stream) => stream.close()));

const topic = 'resume.news';

function config(cluster?: object): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{
        name: 'realm1',
        roles: [{ name: 'anonymous', 'allow-by-default': true }],
        store: { type: 'memory', limit: 100, 'event-history': [{ uri: topic }] },
      }],
      transports: [{
        type: 'web', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
        paths: { ws: { type: 'websocket' }, sse: { type: 'sse', realm: 'realm1' }, metrics: { type: 'metrics' } },
      }],
      ...(cluster && { cluster }),
    }],
  };
}

/** `id`: the publication ID the event id starts with; `eventId`: the whole id (with the positions). */
interface SseMessage { id: number; data: string; eventId: string }

/** The messages of a stream on a connection of its own, read until one carries `until`. */
async function readStream(url: string, lastEventId: number | string, until: RegExp): Promise<{ text: string; messages: SseMessage[] }> {
  const text = await freshSse(url, until, { 'last-event-id': String(lastEventId) });
  const messages = text.split('\n\n').flatMap((block) => {
    const id = /^id: ((\d+)(:\S*)?)$/m.exec(block);
    const data = /^data: (.*)$/m.exec(block)?.[1];
    return id && data ? [{ id: Number(id[2]), data, eventId: id[1]! }] : [];
  });
  return { text, messages };
}

describe('SSE Last-Event-ID with --workers 2', () => {
  it('resumes on either worker, and on a restarted one, with each missed event once', async () => {
    const { junction, workers } = await run.startWorkers(0, await run.configFile(config(), 'junction-sse-resume-'));
    const port = await junction.port();
    const publisher = await run.open(`ws://127.0.0.1:${port}/ws`);
    const ids: number[] = [];
    for (const word of ['one', 'two', 'three']) {
      const published = await publisher.session.publish(topic, [word], {}, { acknowledge: true }) as { id: number };
      ids.push(published.id);
    }
    const url = `http://127.0.0.1:${port}/sse?topic=${topic}`;

    /**
     * Four resumes from "one" (a bare publication ID, as earlier versions gave), each on a fresh
     * connection (on both workers); then four from the id "two" came with (with its positions).
     */
    async function resumeEverywhere(): Promise<void> {
      let afterTwo = '';
      for (let i = 0; i < 4; i++) {
        const { text, messages } = await readStream(url, ids[0]!, /"three"/);
        assert.doesNotMatch(text, /not in the event history/, text);
        assert.deepEqual(messages.map(({ id, data }) => ({ id, data })), [
          { id: ids[1], data: '{"args":["two"],"kwargs":{}}' },
          { id: ids[2], data: '{"args":["three"],"kwargs":{}}' },
        ], text);
        afterTwo = messages[0]!.eventId;
      }
      for (let i = 0; i < 4; i++) {
        const { text, messages } = await readStream(url, afterTwo, /"three"/);
        assert.deepEqual(messages.map(({ id }) => id), [ids[2]], text);
      }
    }
    // The worker without the publisher heard the publications over the backplane; give it a moment.
    await waitUntilResumable(url, ids[0]!);
    await resumeEverywhere();

    // A worker dies and starts again: it copies the history from the other, with the same ids.
    const w1 = workers.get('w1')!;
    w1.signal('SIGKILL');
    await junction.started((line) => line.msg === 'worker serving' && line.node === 'w1' && Number(line.pid) !== w1.pid);
    await waitUntilResumable(url, ids[0]!);
    await resumeEverywhere();
  });
});

/** Resumes until four in a row (on either worker, so almost surely both) replay from history; bounded in tries. */
async function waitUntilResumable(url: string, from: number): Promise<void> {
  let inARow = 0;
  for (let attempt = 0; attempt < 40 && inARow < 4; attempt++) {
    const { text } = await readStream(url, from, /^id: |not in the event history/m).catch(() => ({ text: '' }));
    inARow = /^id: /m.test(text) && !/not in the event history/.test(text) ? inARow + 1 : 0;
    if (inARow < 4) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const skipRedis = skipWithoutDebian('redis-server');

/** Two CLI nodes sharing a Redis: the stream is opened on the node of our choosing (its own port). */
async function redisNodes(): Promise<{ redis: RunningRedis; ports: number[] }> {
  const redis = await run.startRedis();
  // A long lease: Redis is paused for a moment below, and the nodes must not take each other for dead.
  const file = await run.configFile(config({ redis: { url: '${REDIS_URL}' }, heartbeat: 200, lease: 5000 }), 'junction-sse-order-');
  const ports = await startClusterNodes(run.running, file, 2, { REDIS_URL: redis.url });
  return { redis, ports };
}

async function open(port: number, lastEventId?: string): Promise<SseReader> {
  const stream = await openStream(`http://127.0.0.1:${port}/sse?topic=${topic}`, lastEventId ? { 'last-event-id': lastEventId } : {});
  streams.push(stream);
  return stream;
}

/** What a message carries: which publisher made it and its number in that publisher's run. */
function payload(message: ReadMessage): string {
  return (JSON.parse(message.data) as { args: [string] }).args[0];
}

/** Until a publication on the first node reaches a stream on the second (subscriptions cross asynchronously); bounded. */
async function hearEachOther(ports: number[], onFirst: OpenSession): Promise<void> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const probe = await open(ports[1]!);
    await onFirst.session.publish(topic, ['probe'], {}, { acknowledge: true });
    const heard = await probe.waitForMessages(1, 500).then(() => true, () => false);
    probe.close();
    if (heard) return;
  }
  throw new Error('the nodes did not hear each other');
}

async function resumesCounted(port: number, outcome: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^junction_sse_resumes_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

describe('SSE resume across two Redis nodes', { skip: skipRedis }, () => {
  it('gets every event exactly once, in each publisher\'s order, when both nodes publish at once and the stream moves between them', async () => {
    const { ports } = await redisNodes();
    const publishers = await Promise.all(ports.map((port) => run.open(`ws://127.0.0.1:${port}/ws`)));
    // Each node hears the other's history subscription: a publication reaches both before we go on.
    await hearEachOther(ports, publishers[0]!);

    const count = 40;
    const expected = ['a', 'b'].flatMap((who) => Array.from({ length: count }, (_, i) => `${who}${i}`));
    const received: ReadMessage[] = [];
    let stream = await open(ports[0]!);
    let lastId: string | undefined;
    // Both nodes publish at once, not waiting for each other: their events interleave differently on each node.
    let published = false;
    const publishing = Promise.all(publishers.map(async (publisher, index) => {
      for (let i = 0; i < count; i++) {
        await publisher.session.publish(topic, [`${'ab'[index]}${i}`], {}, { acknowledge: true });
        if (i % 4 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })).finally(() => (published = true));
    // Move the stream to the other node every few events while publishing goes on, then once more after.
    for (let hop = 1; hop <= 60; hop++) {
      const total = received.length + stream.messages.length;
      if (published && total >= expected.length) break;
      await stream.waitForMessages(stream.messages.length + 5, 1_500).catch(() => undefined);
      stream.close();
      received.push(...stream.messages);
      lastId = stream.messages.at(-1)?.id ?? lastId;
      stream = await open(ports[hop % 2]!, lastId);
    }
    await publishing;
    await stream.waitForMessages(expected.length - received.length, 10_000).catch(() => undefined);
    stream.close();
    received.push(...stream.messages);
    const got = received.map(payload).filter((text) => text !== 'probe');
    assert.deepEqual([...got].sort(), [...expected].sort(), 'every event exactly once');
    for (const who of ['a', 'b']) {
      const order = got.filter((text) => text.startsWith(who)).map((text) => Number(text.slice(1)));
      assert.deepEqual(order, [...order].sort((x, y) => x - y), `${who}'s events in ${who}'s order`);
    }
  });

  it('resumes on a node that has not heard the client\'s last events yet, and drops them when they arrive', async () => {
    const { redis, ports } = await redisNodes();
    const [onA] = await Promise.all(ports.map((port) => run.open(`ws://127.0.0.1:${port}/ws`)));
    await hearEachOther(ports, onA!);

    // With Redis stopped, node A's publications reach its own stream but not node B.
    const first = await open(ports[0]!);
    redis.pause();
    let id: string;
    try {
      for (const word of ['x1', 'x2', 'x3']) await onA!.session.publish(topic, [word], {}, { acknowledge: true });
      const seen = await first.waitForMessages(3);
      id = seen.at(-1)!.id!;
      first.close();
      // B is behind the client: it replays nothing of A it has not heard, and says nothing is lost.
      const resumed = await open(ports[1]!, id);
      await new Promise((resolve) => setTimeout(resolve, 200));
      redis.resume();
      // x1..x3 now reach B: the stream had them, so they are dropped; x4 is new.
      await onA!.session.publish(topic, ['x4'], {}, { acknowledge: true });
      await waitFor(() => resumed.messages.some((message) => payload(message) === 'x4'), 'x4 on the resumed stream', 10_000);
      assert.deepEqual(resumed.messages.map(payload), ['x4'], resumed.raw);
      assert.doesNotMatch(resumed.raw, /resume_gap/);
      assert.equal(await resumesCounted(ports[1]!, 'ahead'), 1);
      resumed.close();
    } finally {
      redis.resume();
    }

    // An id of before (a bare publication ID) that B has not heard yet: B waits for it (resume_wait, 1 s).
    redis.pause();
    let bare: number;
    try {
      bare = (await onA!.session.publish(topic, ['y1'], {}, { acknowledge: true }) as { id: number }).id;
      await onA!.session.publish(topic, ['y2'], {}, { acknowledge: true });
    } catch (error) {
      redis.resume();
      throw error;
    }
    const waiting = await open(ports[1]!, String(bare));
    await new Promise((resolve) => setTimeout(resolve, 200));
    redis.resume();
    await waitFor(() => waiting.messages.length > 0, 'the replay after y1', 10_000);
    assert.deepEqual(waiting.messages.map(payload), ['y2'], waiting.raw);
    assert.doesNotMatch(waiting.raw, /resume_gap/);
    assert.equal(await resumesCounted(ports[1]!, 'waited'), 1);
  });
});
