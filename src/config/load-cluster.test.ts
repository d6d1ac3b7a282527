import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './problems.js';
import { formatPath } from './config-path.js';
import { configDocument, loadDocument, problemsOf } from './test-support.js';

/** The model of a Redis server given by URL alone. */
const url = (at: string) => ({ url: at, sentinels: undefined, name: undefined, sentinelPassword: undefined, username: undefined, password: undefined });

describe('router worker cluster (Junction extension)', () => {
  it('is absent by default: one node on its own', () => {
    assert.equal(loadDocument(configDocument({})).cluster, undefined);
  });

  it('reads the Redis URL (with ${ENV}), the prefix, the node id, heartbeat, lease and command timeout, with defaults', () => {
    const config = loadDocument(configDocument({ cluster: { redis: { url: '${REDIS_URL}' } } }), { REDIS_URL: 'redis://10.0.0.5:6379/2' });
    assert.deepEqual(config.cluster, { redis: url('redis://10.0.0.5:6379/2'), prefix: 'junction', maxPendingBytes: 16 * 1024 * 1024, commandTimeoutMs: 2000, nodeId: undefined, heartbeatMs: 1000, leaseMs: 3000 });
    const given = loadDocument(configDocument({ cluster: { redis: { url: 'rediss://r.example:6380/0', prefix: 'app1', max_pending_bytes: 1024, command_timeout: 500 }, node_id: 'n1', heartbeat: 500, lease: 2000 } }));
    assert.deepEqual(given.cluster, { redis: url('rediss://r.example:6380/0'), prefix: 'app1', maxPendingBytes: 1024, commandTimeoutMs: 500, nodeId: 'n1', heartbeatMs: 500, leaseMs: 2000 });
  });

  it('refuses a URL that is not Redis\'s, a lease not longer than the heartbeat, and unknown keys, each with its path', () => {
    const problems = (cluster: unknown): string => problemsOf(configDocument({ cluster })).join('\n');
    assert.match(problems({ redis: { url: 'http://x' } }), /cluster\.redis\.url.*expected a Redis URL/);
    assert.match(problems({ redis: { url: 'redis://x' }, heartbeat: 1000, lease: 1000 }), /cluster\.lease.*lease must be longer than heartbeat/);
    assert.match(problems({ redis: { url: 'redis://x' }, sentinel: true }), /cluster.*sentinel/);
    assert.match(problems({}), /cluster\.redis/);
  });

  it('reads Redis Sentinel: the sentinels (ports from ${ENV} too), the primary\'s name and the passwords', () => {
    const config = loadDocument(configDocument({ cluster: { redis: {
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: '${SENTINEL_PORT}' }], name: 'primary1',
      sentinel_password: '${SENTINEL_PASSWORD}', username: 'junction', password: '${REDIS_PASSWORD}',
    } } }), { SENTINEL_PORT: '26380', SENTINEL_PASSWORD: 'sp', REDIS_PASSWORD: 'rp' });
    assert.deepEqual(config.cluster!.redis, {
      url: undefined, sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], name: 'primary1', sentinelPassword: 'sp', username: 'junction', password: 'rp',
    });
    assert.equal(config.cluster!.prefix, 'junction');
  });

  it('wants exactly one of url and sentinels, name with sentinels, sentinel keys with sentinels only, credentials once: each a coded problem', () => {
    /** The problems of a cluster.redis as "path: message [code]" lines. */
    const problems = (redis: unknown): string => {
      try {
        loadDocument(configDocument({ cluster: { redis } }));
      } catch (error) {
        if (error instanceof ConfigError) return error.problems.map((found) => `${formatPath(found.path)}: ${found.message} [${found.code}]`).join('\n');
        throw error;
      }
      return '';
    };
    const sentinels = [{ host: 's1', port: 26379 }];
    assert.match(problems({ url: 'redis://x', sentinels, name: 'p' }), /cluster\.redis\.sentinels: give either "url".*or "sentinels".*not both \[config\.conflict\]/);
    assert.match(problems({ prefix: 'app' }), /cluster\.redis\.url: missing: "url".*or "sentinels" and "name".* \[config\.missing\]/);
    assert.match(problems({ sentinels }), /cluster\.redis\.name: missing: "name".* \[config\.missing\]/);
    assert.match(problems({ url: 'redis://x', name: 'p' }), /cluster\.redis\.name: "name" applies with "sentinels" only \[config\.conflict\]/);
    assert.match(problems({ url: 'redis://x', sentinel_password: 'p' }), /cluster\.redis\.sentinel_password: "sentinel_password" applies with "sentinels" only \[config\.conflict\]/);
    assert.match(problems({ url: 'redis://:pw@x', password: 'p' }), /cluster\.redis\.password: the URL already has credentials.* \[config\.conflict\]/);
    assert.match(problems({ sentinels: [], name: 'p' }), /cluster\.redis\.sentinels: needs at least one sentinel/);
    assert.match(problems({ sentinels: [{ host: 's1', port: 0 }], name: 'p' }), /cluster\.redis\.sentinels\[0\]\.port: expected a port number from 1 to 65535/);
    assert.match(problems({ sentinels: [{ host: 's1' }], name: 'p' }), /cluster\.redis\.sentinels\[0\]\.port: missing \(expected a port number.*\[config\.missing\]/, 'a sentinel without a port');
    assert.equal(problems({ url: 'redis://x', password: 'p', username: 'u' }), '', 'credentials beside a URL that has none are fine');
  });
});
