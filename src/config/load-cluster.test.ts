import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configDocument, loadDocument, problemsOf } from './test-support.js';

describe('router worker cluster (Junction extension)', () => {
  it('is absent by default: one node on its own', () => {
    assert.equal(loadDocument(configDocument({})).cluster, undefined);
  });

  it('reads the Redis URL (with ${ENV}), the prefix, the node id, heartbeat and lease, with defaults', () => {
    const config = loadDocument(configDocument({ cluster: { redis: { url: '${REDIS_URL}' } } }), { REDIS_URL: 'redis://10.0.0.5:6379/2' });
    assert.deepEqual(config.cluster, { redisUrl: 'redis://10.0.0.5:6379/2', prefix: 'junction', maxPendingBytes: 16 * 1024 * 1024, nodeId: undefined, heartbeatMs: 1000, leaseMs: 3000 });
    const given = loadDocument(configDocument({ cluster: { redis: { url: 'rediss://r.example:6380/0', prefix: 'app1', max_pending_bytes: 1024 }, node_id: 'n1', heartbeat: 500, lease: 2000 } }));
    assert.deepEqual(given.cluster, { redisUrl: 'rediss://r.example:6380/0', prefix: 'app1', maxPendingBytes: 1024, nodeId: 'n1', heartbeatMs: 500, leaseMs: 2000 });
  });

  it('refuses a URL that is not Redis\'s, a lease not longer than the heartbeat, and unknown keys, each with its path', () => {
    const problems = (cluster: unknown): string => problemsOf(configDocument({ cluster })).join('\n');
    assert.match(problems({ redis: { url: 'http://x' } }), /cluster\.redis\.url.*expected a Redis URL/);
    assert.match(problems({ redis: { url: 'redis://x' }, heartbeat: 1000, lease: 1000 }), /cluster\.lease.*lease must be longer than heartbeat/);
    assert.match(problems({ redis: { url: 'redis://x' }, sentinel: true }), /cluster.*sentinel/);
    assert.match(problems({}), /cluster\.redis/);
  });
});
