import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { payloadBytes } from './payload-bytes.js';

describe('payloadBytes', () => {
  it('counts strings, bytes, numbers and containers about as their JSON size', () => {
    assert.equal(payloadBytes([]), 0);
    assert.equal(payloadBytes(['abc']), 5);
    assert.equal(payloadBytes([new Uint8Array(1000)]), 1000);
    assert.equal(payloadBytes([[1, 2]]), 2 + 2 + 16);
    assert.equal(payloadBytes([{ k: 'v' }]), 2 + 1 + 4 + 3);
    assert.equal(payloadBytes([undefined, null]), 8);
    const json = JSON.stringify({ a: ['x'.repeat(1000), 'y'.repeat(500)], b: 'z'.repeat(200) });
    const estimate = payloadBytes([{ a: ['x'.repeat(1000), 'y'.repeat(500)], b: 'z'.repeat(200) }]);
    assert.ok(Math.abs(estimate - json.length) < 20, `${estimate} vs ${json.length}`);
  });

  it('walks a deeply nested payload without recursion', () => {
    let nested: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) nested = [nested];
    assert.equal(payloadBytes([nested]), 100_000 * 3 + 6);
  });

  it('stops soon after passing the ceiling', () => {
    let chain: unknown = [];
    for (let i = 0; i < 10_000; i++) chain = ['x'.repeat(100), chain];
    assert.ok(payloadBytes([chain]) > 1_000_000);
    const total = payloadBytes([chain], 1_000);
    assert.ok(total > 1_000 && total < 1_200, String(total));
  });
});
