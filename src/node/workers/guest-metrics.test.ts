import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import { forgetGuest, guestFigures, guestMetrics, guestMetricsFromParent, type GuestFiguresMessage } from './guest-metrics.js';

/** The lines of `registry`'s exposition about guests. */
function guestLines(registry: MetricsRegistry): string[] {
  return registry.exposition().split('\n').filter((line) => line.includes('junction_guest_'));
}

describe('guest metrics from the --workers parent', () => {
  it('a worker exports the figures the parent sent, with the same names, help and labels', () => {
    const parent = new MetricsRegistry();
    const counted = guestMetrics(parent);
    counted.starts.inc({ guest: 'worker002' }, 2);
    counted.running.set(1, { guest: 'worker002' });
    counted.exits.inc({ guest: 'worker002', outcome: 'error' });
    counted.dropped.inc({ guest: 'worker002', reason: 'rate' }, 7);
    counted.running.set(0, { guest: 'worker003' });
    counted.exits.inc({ guest: 'worker003', outcome: 'not_started' });

    const channel = new EventEmitter();
    const worker = new MetricsRegistry();
    guestMetricsFromParent(channel, worker);
    assert.match(worker.exposition(), /^junction_guest_running 0$/m, 'the metrics are there before the first report');
    // As the IPC channel carries it (serialization 'advanced' is the structured clone).
    const message: GuestFiguresMessage = structuredClone({ junction: 'guests', figures: guestFigures(counted) });
    channel.emit('message', { junction: 'handoff', awaiting: 0, refused: { queue_full: 0, no_worker: 0 } });
    channel.emit('message', message);
    assert.deepEqual(guestLines(worker), guestLines(parent));
    assert.match(worker.exposition(), /^junction_guest_running\{guest="worker002"\} 1$/m);
    assert.match(worker.exposition(), /^junction_guest_exits_total\{guest="worker003",outcome="not_started"\} 1$/m);
  });

  it('each report replaces the last: the guest exited, its gauge is 0 and its exit counted', () => {
    const counted = guestMetrics(new MetricsRegistry());
    const channel = new EventEmitter();
    const worker = new MetricsRegistry();
    guestMetricsFromParent(channel, worker);
    counted.running.set(1, { guest: 'g' });
    counted.starts.inc({ guest: 'g' });
    channel.emit('message', { junction: 'guests', figures: guestFigures(counted) });
    assert.match(worker.exposition(), /^junction_guest_running\{guest="g"\} 1$/m);
    counted.running.set(0, { guest: 'g' });
    counted.exits.inc({ guest: 'g', outcome: 'success' });
    channel.emit('message', { junction: 'guests', figures: guestFigures(counted) });
    assert.match(worker.exposition(), /^junction_guest_running\{guest="g"\} 0$/m);
    assert.match(worker.exposition(), /^junction_guest_exits_total\{guest="g",outcome="success"\} 1$/m);
    assert.match(worker.exposition(), /^junction_guest_starts_total\{guest="g"\} 1$/m);
  });

  it('a guest the parent no longer reports (a reload removed it) is forgotten, by an empty report too', () => {
    const counted = guestMetrics(new MetricsRegistry());
    const channel = new EventEmitter();
    const worker = new MetricsRegistry();
    guestMetricsFromParent(channel, worker);
    for (const guest of ['kept', 'removed']) {
      counted.running.set(1, { guest });
      counted.exits.inc({ guest, outcome: 'error' });
      counted.dropped.inc({ guest, reason: 'rate' });
    }
    channel.emit('message', { junction: 'guests', figures: guestFigures(counted) });
    forgetGuest(counted, 'removed');
    channel.emit('message', { junction: 'guests', figures: guestFigures(counted) });
    assert.ok(!worker.exposition().includes('guest="removed"'), worker.exposition());
    assert.match(worker.exposition(), /^junction_guest_output_dropped_lines_total\{guest="kept",reason="rate"\} 1$/m);
    forgetGuest(counted, 'kept');
    channel.emit('message', { junction: 'guests', figures: guestFigures(counted) });
    assert.deepEqual(guestLines(worker).filter((line) => !line.startsWith('#')), [
      'junction_guest_running 0', 'junction_guest_starts_total 0', 'junction_guest_exits_total 0', 'junction_guest_output_dropped_lines_total 0',
    ]);
  });

  it("leaves the worker's own guests (its router components' Python) alone", () => {
    const counted = guestMetrics(new MetricsRegistry());
    const channel = new EventEmitter();
    const worker = new MetricsRegistry();
    guestMetricsFromParent(channel, worker);
    const own = guestMetrics(worker);
    own.running.add(1, { guest: 'worker001' });
    own.starts.inc({ guest: 'worker001' });
    counted.running.set(1, { guest: 'worker002' });
    channel.emit('message', { junction: 'guests', figures: guestFigures(counted) });
    channel.emit('message', { junction: 'guests', figures: guestFigures(counted) });
    assert.match(worker.exposition(), /^junction_guest_running\{guest="worker001"\} 1$/m);
    assert.match(worker.exposition(), /^junction_guest_starts_total\{guest="worker001"\} 1$/m);
    assert.match(worker.exposition(), /^junction_guest_running\{guest="worker002"\} 1$/m);
  });
});
