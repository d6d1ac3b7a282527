import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import { silentLogger, type Logger } from '../../router/log.js';
import { isCommandTimeout, isPermissionRefusal, RedisTimeouts } from './redis-timeouts.js';

function recordingLogger(): { log: Logger; warnings: string[]; errors: string[] } {
  const warnings: string[] = [];
  const errors: string[] = [];
  const log: Logger = {
    ...silentLogger,
    warn: (_fields: object, message: string) => void warnings.push(message),
    error: (_fields: object, message: string) => void errors.push(message),
    child: () => log,
  };
  return { log, warnings, errors };
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

  it('counts each command Redis refuses to the user (ACL) and logs an error once per command within the interval; other failures are not refusals', () => {
    const registry = new MetricsRegistry();
    const { log, warnings, errors } = recordingLogger();
    const timeouts = new RedisTimeouts(log, 750, registry);
    const publish = new Error("NOPERM this user has no permissions to run the 'publish' command");
    assert.equal(timeouts.refused('backplane', 'publish', publish), true);
    assert.equal(timeouts.refused('backplane', 'publish', publish), true);
    assert.equal(timeouts.refused('backplane', 'claim', new Error("ERR The user executing the script can't run this command or subcommand script: 9ea1, on @user_script:2.")), true);
    assert.equal(timeouts.refused('feeds', 'append', new Error('Command timed out')), false);
    assert.equal(timeouts.refused('feeds', 'append', new Error('Connection is closed.')), false);
    const text = registry.exposition();
    assert.match(text, /junction_cluster_redis_refused_total\{command="publish",connection="backplane"\} 2/);
    assert.match(text, /junction_cluster_redis_refused_total\{command="claim",connection="backplane"\} 1/);
    assert.doesNotMatch(text, /junction_cluster_redis_refused_total\{command="append"/);
    assert.deepEqual(warnings, []);
    assert.deepEqual(errors, [
      'Redis refused the backplane command publish to this node\'s Redis user (ACL): the cluster does not work without it; give the user the permissions docs/cluster.md, "The Redis user" lists. Further ones are counted in junction_cluster_redis_refused_total',
      'Redis refused the backplane command claim to this node\'s Redis user (ACL): the cluster does not work without it; give the user the permissions docs/cluster.md, "The Redis user" lists. Further ones are counted in junction_cluster_redis_refused_total',
    ]);
    assert.equal(isPermissionRefusal(new Error('NOPERM No permissions to access a channel')), true);
    assert.equal(isPermissionRefusal('NOPERM'), false);
  });

  it('tells ioredis giving up on a command from other failures', () => {
    assert.equal(isCommandTimeout(new Error('Command timed out')), true);
    assert.equal(isCommandTimeout(new Error('Connection is closed.')), false);
    assert.equal(isCommandTimeout('Command timed out'), false);
  });
});
