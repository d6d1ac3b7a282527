import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { FreezingProxy } from '../../../test/support/freezing-proxy.js';
import { RunningRedis } from '../../../test/support/redis-server.js';
import { waitFor } from '../../../test/support/wait.js';
import { silentLogger } from '../../router/log.js';
import { FencedConnection } from './redis-fenced-connection.js';
import { isCommandTimeout, RedisTimeouts } from './redis-timeouts.js';

const skip = skipWithoutDebian('redis-server');
let redis: RunningRedis | undefined;
before(async () => {
  if (!skip) redis = await RunningRedis.start();
});
after(() => redis?.stop());

describe('FencedConnection (a real redis-server behind a freezing proxy)', { skip }, () => {
  it('is stalled by an unanswered command, replaced past twice the timeout after the old one is killed on Redis, then usable', async () => {
    const proxy = await FreezingProxy.start(redis!.port);
    const inspector = new Redis(redis!.url);
    let changes = 0;
    const connection = new FencedConnection({
      server: { url: proxy.url }, role: 'feeds', name: 'junction-feeds:n1:p1',
      timeouts: new RedisTimeouts(silentLogger, 200), log: silentLogger, changed: () => void changes++,
    });
    const named = async (): Promise<number> => (String(await inspector.client('LIST')).match(/ name=junction-feeds:n1:p1 /g) ?? []).length;
    try {
      await waitFor(() => connection.usable, 'the first connection usable', 5_000);
      const generation = connection.generation;
      assert.equal(proxy.freeze(/junction-feeds:n1:p1/), 1);
      await assert.rejects(connection.command('read', () => connection.redis.get('k')), isCommandTimeout);
      assert.equal(connection.stalled, true);
      assert.equal(connection.usable, false);
      assert.equal(connection.recovering, true, 'expected back: what waits on it may wait');
      connection.tend(); // not yet past the bound: kept (a PING asks whether it answers again)
      assert.equal(connection.generation, generation);

      const tending = setInterval(() => connection.tend(), 20);
      try {
        await waitFor(() => connection.usable, 'a new connection, fenced', 5_000);
      } finally {
        clearInterval(tending);
      }
      assert.notEqual(connection.generation, generation, 'a new connection');
      assert.equal(connection.stalled, false);
      assert.equal(await named(), 1, 'the frozen connection was killed on Redis, the new one alone has the name');
      assert.equal(await connection.command('read', () => connection.redis.set('k', 'v')), 'OK');
      assert.ok(changes >= 2, 'told of each change');
    } finally {
      connection.close();
      inspector.disconnect();
      await proxy.close();
    }
  });
});
