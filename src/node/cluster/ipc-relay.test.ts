import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { channelPair } from '../../../test/support/ipc-channels.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { AskError } from '../../router/backplane-asks.js';
import { MeshBackplane } from '../../router/backplane-mesh.js';
import { silentLogger } from '../../router/log.js';
import { batchedChannel, eachMessage, type IpcBatch } from './ipc-batch.js';
import { ipcLink } from './ipc-link.js';
import type { ParentToWorker, WorkerToParent } from './ipc-messages.js';
import { IpcRelay, type WorkerChannel } from './ipc-relay.js';

/**
 * A worker's channel as the parent sees it, whose writes complete only when `drain` is called:
 * a worker that does not read (stuck, or stopped with SIGSTOP) leaves them pending.
 * `delivered` holds each message written (those of a batch one by one), `writes` the writes.
 */
class HeldChannel extends EventEmitter implements WorkerChannel {
  readonly delivered: ParentToWorker[] = [];
  writes = 0;
  private readonly pending: (() => void)[] = [];

  send(message: ParentToWorker | IpcBatch<ParentToWorker>, callback: (error: Error | null) => void): void {
    this.writes++;
    eachMessage(message, (each) => this.delivered.push(each as ParentToWorker));
    this.pending.push(() => callback(null));
  }

  drain(): void {
    for (const complete of this.pending.splice(0)) complete();
  }

  /** What the worker says to the parent. */
  say(message: unknown): void {
    this.emit('message', message);
  }
}

/** The end of this turn: the batches queued in it have been written. */
const turnEnd = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const publication = (n: number, text: string): unknown => ({
  junction: 'mesh', to: ['w2'],
  message: { k: 'pub', publication: { realm: 'r', topic: 't', publication: n, publisher: 1, origin: 'client', options: {}, details: {}, args: [text] } },
});

describe('the --workers relay buffer', () => {
  it('gives up a worker whose writes do not complete once it holds more than the bound for it, once, and sends it nothing more', async () => {
    const overflowed: [string, number, number][] = [];
    let said = 0;
    const w1 = new HeldChannel();
    const w2 = new HeldChannel();
    const relay = new IpcRelay({ maxQueuedBytes: 10_000, onOverflow: (node, bytes) => void overflowed.push([node, bytes, said]) });
    relay.add('w1', w1);
    relay.add('w2', w2);
    const text = 'x'.repeat(1_000);
    for (let i = 0; i < 8; i++) w1.say(publication(i, text));
    assert.equal(overflowed.length, 0, 'under the bound nothing happens');
    assert.ok(relay.queuedBytes('w2') > 8_000 && relay.queuedBytes('w2') <= 10_000, `held ${relay.queuedBytes('w2')} bytes`);
    await turnEnd();
    assert.equal(w2.writes, 1, 'what one turn relays to a worker is one write');
    assert.equal(w2.delivered.length, 8);
    assert.ok(relay.queuedBytes('w2') > 8_000, 'held until the write completes');
    w2.drain();
    assert.equal(relay.queuedBytes('w2'), 0, 'completed writes are no longer held');

    for (; said < 30; said++) w1.say(publication(said, text));
    assert.equal(overflowed.length, 1, 'given up once');
    assert.equal(overflowed[0]![0], 'w2');
    assert.ok(overflowed[0]![1] > 10_000);
    assert.ok(overflowed[0]![2] < 30);
    await turnEnd();
    assert.equal(w2.delivered.length, 8 + overflowed[0]![2] + 1, 'the batch ends with the message that passed the bound: nothing after it is written');
    assert.equal(relay.overflows, 1);

    relay.report();
    await turnEnd();
    assert.deepEqual(w1.delivered.at(-1), { junction: 'relay', queuedBytes: 0, overflows: 1 });
    relay.remove('w2');
    assert.equal(relay.queuedBytes('w2'), 0);
  });

  it('shows what the parent holds for a worker, and how many it gave up, in that worker\'s backplane metrics', async () => {
    const toWorker = new EventEmitter();
    const metrics = new MetricsRegistry();
    const channel = { send: () => {}, on: (e: 'message', l: (m: unknown) => void) => toWorker.on(e, l), off: (e: 'message', l: (m: unknown) => void) => toWorker.off(e, l) };
    const backplane = new MeshBackplane('w1', ipcLink(channel, { maxPendingBytes: 1 << 20, log: silentLogger }), metrics);
    toWorker.emit('message', { junction: 'relay', queuedBytes: 1234, overflows: 2 });
    const text = metrics.exposition();
    assert.match(text, /^junction_backplane_relay_queued_bytes 1234$/m);
    assert.match(text, /^junction_backplane_relay_overflows_total 2$/m);
    assert.match(text, /^junction_backplane_messages_total\{direction="sent",kind="hello"\} 1$/m);
    await backplane.close();
  });

  it('bounds what a worker holds for a parent that does not take it: publications past the bound are dropped and counted, announcements still go', async () => {
    const sent: unknown[] = [];
    const held: (() => void)[] = [];
    const toWorker = new EventEmitter();
    // The worker's raw channel: its writes complete only when the test says (a parent that does not read).
    const raw = {
      send: (message: unknown, written: (error: Error | null) => void) => {
        eachMessage(message, (each) => sent.push(each));
        held.push(() => written(null));
      },
      on: (e: 'message', l: (m: unknown) => void) => toWorker.on(e, l),
      off: (e: 'message', l: (m: unknown) => void) => toWorker.off(e, l),
    };
    const metrics = new MetricsRegistry();
    const backplane = new MeshBackplane('w1', ipcLink(batchedChannel<WorkerToParent>(raw), { maxPendingBytes: 10_000, log: silentLogger }), metrics);
    toWorker.emit('message', { junction: 'mesh', from: 'w2', message: { k: 'interest', interest: { realm: 'r', uri: 't', match: 'exact' }, on: true } });
    const pubs = (): number => sent.filter((m) => (m as { message?: { k: string } }).message?.k === 'pub').length;
    // One turn's publications: one batch, which passes the bound part way.
    for (let i = 0; i < 30; i++) {
      backplane.publish({ realm: 'r', topic: 't', publication: i, publisher: 1, origin: 'client', options: {}, details: {}, args: ['x'.repeat(1_000)] });
    }
    await turnEnd();
    const kept = pubs();
    assert.ok(kept >= 8 && kept < 10, `${kept} publications handed to the parent under a 10,000-byte bound`);
    const text = metrics.exposition();
    assert.match(text, new RegExp(`^junction_backplane_dropped_total\\{reason="buffer_full"\\} ${30 - kept}$`, 'm'));
    assert.match(text, /^junction_backplane_relay_pending_bytes [89]\d{3}$/m);
    backplane.announce({ realm: 'r', uri: 'other', match: 'exact' }, true);
    await turnEnd();
    assert.equal((sent.at(-1) as { message: { k: string } }).message.k, 'interest', 'an announcement still goes');
    for (const complete of held.splice(0)) complete();
    assert.match(metrics.exposition(), /^junction_backplane_relay_pending_bytes 0$/m, 'released once the batch is written');
    backplane.publish({ realm: 'r', topic: 't', publication: 99, publisher: 1, origin: 'client', options: {}, details: {}, args: ['after'] });
    await turnEnd();
    assert.equal(pubs(), kept + 1, 'once the parent took what it had, publications flow again');
    await backplane.close();
  });
});

/** A relay and two workers' backplanes through it, over channels whose writes are counted. */
function twoWorkers() {
  const relay = new IpcRelay({ maxQueuedBytes: 1 << 20, onOverflow: () => assert.fail('no worker here stops reading') });
  const pairs = { w1: channelPair(), w2: channelPair() };
  relay.add('w1', pairs.w1.parent);
  relay.add('w2', pairs.w2.parent);
  const w1 = new MeshBackplane('w1', ipcLink(batchedChannel(pairs.w1.worker), { maxPendingBytes: 1 << 20, log: silentLogger }));
  const w2 = new MeshBackplane('w2', ipcLink(batchedChannel(pairs.w2.worker), { maxPendingBytes: 1 << 20, log: silentLogger }));
  return { relay, pairs, w1, w2 };
}

describe('batches through the --workers relay', () => {
  it('keeps each worker\'s order across batches, a turn\'s messages leaving as one write each way', async () => {
    const { pairs, w1, w2 } = twoWorkers();
    const received: unknown[] = [];
    w2.attach({ deliver: (p) => void received.push(p.args?.[0]), callTraffic: () => {}, nodeGone: () => {} });
    w2.announce({ realm: 'r', uri: 't', match: 'exact' }, true);
    await waitFor(() => w1.interestedPeers().length === 1);
    for (let i = 0; i < 10; i++) await turnEnd(); // the hellos' answers: the channels are quiet from here

    const writesBefore = { toParent: pairs.w1.sent.toParent, toW2: pairs.w2.sent.toWorker };
    for (let turn = 0; turn < 5; turn++) {
      for (let i = 0; i < 10; i++) {
        const n = turn * 10 + i;
        w1.publish({ realm: 'r', topic: 't', publication: n, publisher: 1, origin: 'client', options: {}, details: {}, args: [n] });
      }
      await turnEnd();
    }
    await waitFor(() => received.length === 50);
    assert.deepEqual(received, Array.from({ length: 50 }, (_, n) => n), 'every publication once, in the order published');
    assert.equal(pairs.w1.sent.toParent - writesBefore.toParent, 5, 'one write to the parent per turn');
    assert.equal(pairs.w2.sent.toWorker - writesBefore.toW2, 5, 'one write relayed to w2 per turn');
    await w1.close();
    await w2.close();
  });

  it('answers the claims and releases of a batch in order, and the claims of two workers in the order the parent read them', async () => {
    const w1 = new HeldChannel();
    const w2 = new HeldChannel();
    const relay = new IpcRelay({ maxQueuedBytes: 1 << 20, onOverflow: () => assert.fail('no worker here stops reading') });
    relay.add('w1', w1);
    relay.add('w2', w2);
    w1.say({
      junction: 'batch', messages: [
        { junction: 'claim', id: 1, key: 'a', invoke: 'single' },
        { junction: 'mesh', message: { k: 'procedure', procedure: { realm: 'r', uri: 'a', match: 'exact' }, on: true } },
        { junction: 'claim', id: 2, key: 'b', invoke: 'roundrobin' },
        { junction: 'release', id: 3, key: 'a' },
        { junction: 'claim', id: 4, key: 'a', invoke: 'single' },
      ],
    });
    w2.say({ junction: 'batch', messages: [{ junction: 'claim', id: 1, key: 'a', invoke: 'single' }, { junction: 'claim', id: 2, key: 'b', invoke: 'roundrobin' }] });
    await turnEnd();
    assert.equal(w1.writes, 1, 'one write for the answers of one turn');
    assert.deepEqual(w1.delivered, [
      { junction: 'claimed', id: 1, answer: { ok: true, ticket: 1 } },
      { junction: 'claimed', id: 2, answer: { ok: true, ticket: 2 } },
      { junction: 'released', id: 3 },
      { junction: 'claimed', id: 4, answer: { ok: true, ticket: 3 } },
    ]);
    assert.deepEqual(w2.delivered, [
      { junction: 'mesh', from: 'w1', message: { k: 'procedure', procedure: { realm: 'r', uri: 'a', match: 'exact' }, on: true } },
      { junction: 'claimed', id: 1, answer: { ok: false, heldAs: 'single' } },
      { junction: 'claimed', id: 2, answer: { ok: true, ticket: 4 } },
    ], 'w1\'s announcement and the answers to w2 in the order the parent read them');
  });

  it('answers a question to a worker not in the mesh at once, on its behalf, as unserved: dead and not started again yet, or starting', async () => {
    const { relay, w1, w2 } = twoWorkers();
    w2.serve('longpoll', async () => 'held on w2');
    for (let i = 0; i < 10; i++) await turnEnd(); // the hellos and their answers: a hello makes the others forget what they asked
    assert.equal(await w1.ask('w2', 'longpoll', {}, 60_000), 'held on w2');
    relay.remove('w2'); // it died
    for (let i = 0; i < 10; i++) await turnEnd(); // w1 has heard it is gone
    const unanswered = async (what: string): Promise<void> => {
      let outcome: unknown;
      // Dropped by the relay (or lost by a worker not listening yet), this waited out its 60 s.
      w1.ask('w2', 'longpoll', {}, 60_000).then((body) => (outcome = body), (error: unknown) => (outcome = error));
      await waitFor(() => outcome !== undefined);
      assert.ok(outcome instanceof AskError && outcome.reason === 'unserved', `${what}: ${String(outcome)}`);
      assert.match(outcome.message, /router node "w2" is not in the cluster now/);
    };
    await unanswered('w2 dead');
    // Started again: forked, its modules still loading (it does not listen to its channel yet, and has not said hello).
    const restarted = channelPair();
    relay.add('w2', restarted.parent);
    await unanswered('w2 starting');
    assert.equal(restarted.sent.toWorker, 0, 'nothing was sent to it');
    await w1.close();
    await w2.close();
  });

  it('drops what it had queued for a worker that exits, and tells the others `gone` after what that worker sent', async () => {
    const w1 = new HeldChannel();
    const w2 = new HeldChannel();
    const w3 = new HeldChannel();
    const relay = new IpcRelay({ maxQueuedBytes: 1 << 20, onOverflow: () => assert.fail('no worker here stops reading') });
    relay.add('w1', w1);
    relay.add('w2', w2);
    relay.add('w3', w3);
    const text = 'x'.repeat(100);
    w1.say({ junction: 'batch', messages: [0, 1, 2].map((n) => ({ ...publication(n, text) as object, to: undefined })) });
    assert.ok(relay.queuedBytes('w3') > 300);
    relay.remove('w3'); // w3 exits with a batch pending
    relay.remove('w1'); // and w1 with its publications relayed but not yet written
    await turnEnd();
    assert.equal(w3.writes, 0, 'nothing is written to a worker that exited');
    assert.equal(relay.queuedBytes('w3'), 0);
    assert.equal(w2.writes, 1);
    assert.deepEqual(w2.delivered.map((m) => m.junction === 'mesh' && m.message.k), ['pub', 'pub', 'pub', 'gone', 'gone']);
    assert.deepEqual(w2.delivered.map((m) => m.junction === 'mesh' && m.from), ['w1', 'w1', 'w1', 'w3', 'w1']);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await turnEnd();
  assert.ok(condition(), 'condition not met within 200 turns');
}
