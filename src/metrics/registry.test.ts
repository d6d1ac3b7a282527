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
});
