import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsRegistry } from './registry.js';

describe('metrics registry', () => {
  it('counts per label set, bound or not, and exposes Prometheus text', () => {
    const registry = new MetricsRegistry();
    const calls = registry.counter('junction_calls_total', 'Calls');
    const realm1 = calls.bind({ realm: 'realm1' });
    realm1.inc();
    realm1.inc(2);
    calls.inc({ realm: 'realm1' });
    calls.inc({ realm: 'other' });
    assert.equal(calls.value({ realm: 'realm1' }), 4);
    assert.equal(calls.value({ realm: 'other' }), 1);
    const sessions = registry.gauge('junction_sessions', 'Sessions');
    sessions.add(3, { realm: 'realm1' });
    sessions.add(-1, { realm: 'realm1' });
    const held = registry.gauge('junction_held_bytes', 'Held');
    held.bind({ transport: 'mqtt1' }).set(7);
    held.bind({ transport: 'mqtt1' }).set(5);
    assert.equal(held.value({ transport: 'mqtt1' }), 5, 'a bound gauge sets the series of its labels');
    const text = registry.exposition();
    assert.match(text, /# TYPE junction_calls_total counter\njunction_calls_total\{realm="realm1"\} 4\njunction_calls_total\{realm="other"\} 1/);
    assert.match(text, /junction_sessions\{realm="realm1"\} 2/);
    assert.equal(registry.counter('junction_calls_total', 'again'), calls, 'one metric per name');
  });

  it('keeps label values from breaking the text format', () => {
    const registry = new MetricsRegistry();
    registry.counter('c', 'help').inc({ realm: 'a"b\\c\nd' });
    assert.match(registry.exposition(), /c\{realm="a_b_c_d"\} 1/);
  });

  it('keeps histograms as cumulative buckets with +Inf, sum and count', () => {
    const registry = new MetricsRegistry();
    const durations = registry.histogram('junction_call_duration_seconds', 'Call time', [0.01, 0.1]);
    const realm1 = durations.bind({ realm: 'realm1' });
    for (const value of [0.005, 0.05, 0.05, 3]) realm1.observe(value);
    assert.equal(durations.count({ realm: 'realm1' }), 4);
    assert.match(registry.exposition(), new RegExp([
      '# TYPE junction_call_duration_seconds histogram',
      'junction_call_duration_seconds_bucket\\{realm="realm1",le="0.01"\\} 1',
      'junction_call_duration_seconds_bucket\\{realm="realm1",le="0.1"\\} 3',
      'junction_call_duration_seconds_bucket\\{realm="realm1",le="\\+Inf"\\} 4',
      'junction_call_duration_seconds_sum\\{realm="realm1"\\} 3.105',
      'junction_call_duration_seconds_count\\{realm="realm1"\\} 4',
    ].join('\n')));
  });

  it('runs collectors before each exposition, until they are stopped; collected counters never go back', () => {
    const registry = new MetricsRegistry();
    const bytes = registry.counter('junction_bytes_sent_total', 'Bytes');
    let source = 10;
    const stop = registry.collect(() => bytes.setTotal(source, { transport: 't' }));
    assert.match(registry.exposition(), /junction_bytes_sent_total\{transport="t"\} 10/);
    source = 5;
    assert.match(registry.exposition(), /junction_bytes_sent_total\{transport="t"\} 10/);
    source = 25;
    stop();
    assert.match(registry.exposition(), /junction_bytes_sent_total\{transport="t"\} 10/);
  });

  it('forgets every label set that has the given labels, histograms included', () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter('junction_x_total', 'x');
    counter.inc({ guest: 'a"b', outcome: 'error' });
    counter.inc({ guest: 'a"b', outcome: 'success' });
    counter.inc({ guest: 'c', outcome: 'error' });
    counter.forget({ guest: 'a"b' });
    assert.deepEqual(counter.samples(), [{ labels: { guest: 'c', outcome: 'error' }, value: 1 }]);
    const histogram = registry.histogram('junction_y_seconds', 'y', [1]);
    histogram.observe(0.5, { guest: 'a' });
    histogram.observe(0.5, { guest: 'b' });
    histogram.forget({ guest: 'a' });
    assert.doesNotMatch(registry.exposition(), /guest="a"/);
    assert.match(registry.exposition(), /^junction_y_seconds_count\{guest="b"\} 1$/m);
    counter.forget({ guest: 'c' });
    assert.match(registry.exposition(), /^junction_x_total 0$/m, 'a metric with no label set left shows 0, as before its first count');
  });

  it('gives every label set back with its value, as exposed', () => {
    const registry = new MetricsRegistry();
    const counter = registry.counter('junction_x_total', 'x');
    counter.inc({ guest: 'a"b', outcome: 'error' }, 2);
    counter.inc();
    assert.deepEqual(counter.samples(), [{ labels: { guest: 'a_b', outcome: 'error' }, value: 2 }, { labels: {}, value: 1 }]);
    const copy = new MetricsRegistry().counter('junction_x_total', 'x');
    for (const { labels, value } of counter.samples()) copy.setTotal(value, labels);
    assert.deepEqual(copy.samples(), counter.samples());
  });
});
