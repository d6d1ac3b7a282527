import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import { MeshBackplane } from '../../router/backplane-mesh.js';
import { silentLogger } from '../../router/log.js';
import { ipcLink } from './ipc-link.js';
import type { ParentToWorker } from './ipc-messages.js';
import { IpcRelay, type WorkerChannel } from './ipc-relay.js';

/**
 * A worker's channel as the parent sees it, whose writes complete only when `drain` is called:
 * a worker that does not read (stuck, or stopped with SIGSTOP) leaves them pending.
 */
class HeldChannel extends EventEmitter implements WorkerChannel {
  readonly delivered: ParentToWorker[] = [];
  private readonly pending: (() => void)[] = [];

  send(message: ParentToWorker, callback: (error: Error | null) => void): void {
    this.delivered.push(message);
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

const publication = (n: number, text: string): unknown => ({
  junction: 'mesh', to: ['w2'],
  message: { k: 'pub', publication: { realm: 'r', topic: 't', publication: n, publisher: 1, origin: 'client', options: {}, details: {}, args: [text] } },
});

describe('the --workers relay buffer', () => {
  it('gives up a worker whose writes do not complete once it holds more than the bound for it, once, and sends it nothing more', () => {
    const overflowed: [string, number, number][] = [];
    const w1 = new HeldChannel();
    const w2 = new HeldChannel();
    const relay = new IpcRelay({ maxQueuedBytes: 10_000, onOverflow: (node, bytes) => void overflowed.push([node, bytes, w2.delivered.length]) });
    relay.add('w1', w1);
    relay.add('w2', w2);
    const text = 'x'.repeat(1_000);
    for (let i = 0; i < 8; i++) w1.say(publication(i, text));
    assert.equal(overflowed.length, 0, 'under the bound nothing happens');
    assert.ok(relay.queuedBytes('w2') > 8_000 && relay.queuedBytes('w2') <= 10_000, `held ${relay.queuedBytes('w2')} bytes`);
    w2.drain();
    assert.equal(relay.queuedBytes('w2'), 0, 'completed writes are no longer held');

    for (let i = 0; i < 30; i++) w1.say(publication(i, text));
    assert.equal(overflowed.length, 1, 'given up once');
    assert.equal(overflowed[0]![0], 'w2');
    assert.ok(overflowed[0]![1] > 10_000);
    assert.ok(overflowed[0]![2] < 8 + 30);
    assert.equal(w2.delivered.length, overflowed[0]![2], 'nothing more is written to it after the bound was passed');
    assert.equal(relay.overflows, 1);

    relay.report();
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
    const channel = {
      send: (message: unknown, written?: (error: Error | null) => void) => {
        sent.push(message);
        if (written) held.push(() => written(null));
      },
      on: (e: 'message', l: (m: unknown) => void) => toWorker.on(e, l),
      off: (e: 'message', l: (m: unknown) => void) => toWorker.off(e, l),
    };
    const metrics = new MetricsRegistry();
    const backplane = new MeshBackplane('w1', ipcLink(channel, { maxPendingBytes: 10_000, log: silentLogger }), metrics);
    toWorker.emit('message', { junction: 'mesh', from: 'w2', message: { k: 'interest', interest: { realm: 'r', uri: 't', match: 'exact' }, on: true } });
    const pubs = (): number => sent.filter((m) => (m as { message?: { k: string } }).message?.k === 'pub').length;
    for (let i = 0; i < 30; i++) {
      backplane.publish({ realm: 'r', topic: 't', publication: i, publisher: 1, origin: 'client', options: {}, details: {}, args: ['x'.repeat(1_000)] });
    }
    const kept = pubs();
    assert.ok(kept >= 8 && kept < 10, `${kept} publications handed to the parent under a 10,000-byte bound`);
    const text = metrics.exposition();
    assert.match(text, new RegExp(`^junction_backplane_dropped_total\\{reason="buffer_full"\\} ${30 - kept}$`, 'm'));
    assert.match(text, /^junction_backplane_relay_pending_bytes [89]\d{3}$/m);
    backplane.announce({ realm: 'r', uri: 'other', match: 'exact' }, true);
    assert.equal((sent.at(-1) as { message: { k: string } }).message.k, 'interest', 'an announcement still goes');
    for (const complete of held.splice(0)) complete();
    backplane.publish({ realm: 'r', topic: 't', publication: 99, publisher: 1, origin: 'client', options: {}, details: {}, args: ['after'] });
    assert.equal(pubs(), kept + 1, 'once the parent took what it had, publications flow again');
    await backplane.close();
  });
});
