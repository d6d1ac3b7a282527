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

  it('tells ioredis giving up on a command from other failures', () => {
    assert.equal(isCommandTimeout(new Error('Command timed out')), true);
    assert.equal(isCommandTimeout(new Error('Connection is closed.')), false);
    assert.equal(isCommandTimeout('Command timed out'), false);
  });
});
