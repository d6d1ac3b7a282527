import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import { silentLogger, type Logger } from '../../router/log.js';
import { isCommandTimeout, RedisTimeouts } from './redis-timeouts.js';

function recordingLogger(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (_fields: object, message: string) => void warnings.push(message), child: () => log };
  return { log, warnings };
}

describe('RedisTimeouts', () => {
  it('counts every unanswered command by connection and command, and warns once per kind within the interval', () => {
    const registry = new MetricsRegistry();
    const { log, warnings } = recordingLogger();
    const timeouts = new RedisTimeouts(log, 750, registry);
    timeouts.unanswered('backplane', 'claim');
    timeouts.unanswered('backplane', 'claim');
    timeouts.unanswered('backplane', 'heartbeat');
    timeouts.unanswered('feeds', 'append');
    const text = registry.exposition();
    assert.match(text, /junction_cluster_redis_timeouts_total\{command="claim",connection="backplane"\} 2/);
    assert.match(text, /junction_cluster_redis_timeouts_total\{command="heartbeat",connection="backplane"\} 1/);
    assert.match(text, /junction_cluster_redis_timeouts_total\{command="append",connection="feeds"\} 1/);
    assert.deepEqual(warnings, [
      'Redis did not answer a command within 750 ms (cluster.redis.command_timeout): backplane claim; further ones are counted in junction_cluster_redis_timeouts_total',
      'Redis did not answer a command within 750 ms (cluster.redis.command_timeout): backplane heartbeat; further ones are counted in junction_cluster_redis_timeouts_total',
      'Redis did not answer a command within 750 ms (cluster.redis.command_timeout): feeds append; further ones are counted in junction_cluster_redis_timeouts_total',
    ]);
    assert.match(timeouts.explain('the claim of this procedure'), /did not answer the claim of this procedure within 750 ms \(cluster\.redis\.command_timeout\)/);
  });

  it('replaces a stalled connection after twice the limit, counting each replacement and warning once within the interval', () => {
    const registry = new MetricsRegistry();
    const { log, warnings } = recordingLogger();
    const timeouts = new RedisTimeouts(log, 750, registry);
    assert.equal(timeouts.replaceAfterMs, 1_500);
    timeouts.replaced('backplane', 1_600);
    timeouts.replaced('backplane', 1_550);
    assert.match(registry.exposition(), /junction_cluster_redis_reconnects_total\{connection="backplane",reason="stalled"\} 2/);
    assert.deepEqual(warnings, [
      'this node\'s backplane connection to Redis answered nothing for 1600 ms (2 x cluster.redis.command_timeout): replacing it, and closing the old one on Redis before anything is sent on the new one. Further ones are counted in junction_cluster_redis_reconnects_total',
    ]);
  });

  it('tells ioredis giving up on a command from other failures', () => {
    assert.equal(isCommandTimeout(new Error('Command timed out')), true);
    assert.equal(isCommandTimeout(new Error('Connection is closed.')), false);
    assert.equal(isCommandTimeout('Command timed out'), false);
  });
});
