import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startClusterNode, type RunningJunction } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { boundCookie, connectWithCookie, cookieRouterConfig, signInAsJoe } from '../support/cookie-client.js';
import { testRun } from '../support/test-run.js';

/**
 * Cookie authentication in a Redis cluster: the memory store is the cluster's (Redis), so a
 * browser signed in on node A is signed in by its cookie on node B behind a load balancer; a
 * logout on B forgets the cookie and closes A's connections with it; Redis holds only hashes.
 * While Redis is away a browser keeps its cookie and signs in with its other methods.
 */

const skip = skipWithoutDebian('redis-server');
const run = testRun();

describe('cookie authentication across the nodes of a Redis cluster', { skip, timeout: 120_000 }, () => {
  it('a cookie bound on node A signs in on node B; a logout on B closes A\'s connections; Redis away: the other methods', async () => {
    const redis = await run.startRedis();
    const config = await run.configFile(cookieRouterConfig({ store: { type: 'memory' } }, { metrics: { type: 'metrics' } },
      { cluster: { redis: { url: '${REDIS_URL}', prefix: 'cookietest' }, heartbeat: 200 } }), 'junction-redis-cookie-');
    const node = async (): Promise<{ junction: RunningJunction; port: number }> => {
      const junction = await startClusterNode(run.running, config, 0, { REDIS_URL: redis.url });
      return { junction, port: await junction.port() };
    };
    const a = await node();
    const b = await node();
    const onA = `ws://127.0.0.1:${a.port}/ws`;
    const onB = `ws://127.0.0.1:${b.port}/ws`;

    const cookie = await boundCookie(onA);
    const token = cookie.split('=')[1]!;
    const stillOnA = await connectWithCookie(onA, cookie);
    assert.equal((await signInAsJoe(stillOnA.client)).authprovider, 'cookie');
    const onNodeB = await connectWithCookie(onB, cookie);
    assert.equal(onNodeB.setCookie, undefined, 'node B knows the cookie: no new one');
    const details = await signInAsJoe(onNodeB.client);
    assert.equal(details.authprovider, 'cookie');
    assert.equal(details.authid, 'joe');

    // Redis holds the SHA-256 of the cookie, never the cookie itself.
    const inspector = new Redis(redis.url);
    try {
      const keys = await inspector.keys('cookietest:cookies:*');
      assert.ok(keys.length >= 2, `the store's keys: ${keys.join(', ')}`);
      for (const key of keys) {
        assert.ok(!key.includes(token));
        const value = (await inspector.type(key)) === 'string' ? await inspector.get(key) : JSON.stringify(await inspector.zrange(key, 0, -1));
        assert.ok(!String(value).includes(token), `${key} holds the cookie's value`);
      }
      const entryKey = keys.find((key) => key.includes(':e:'))!;
      const ttl = await inspector.pttl(entryKey);
      assert.ok(ttl > 0 && ttl <= 604_800_000, `the entry expires with the cookie (max_age): ${ttl} ms`);
    } finally {
      inspector.disconnect();
    }

    onNodeB.client.send([6, {}, 'wamp.close.logout']);
    await onNodeB.client.next((message) => message[0] === 6);
    await stillOnA.client.closed; // A's connection with the cookie ends too
    const afterLogout = await connectWithCookie(onA, cookie);
    assert.ok(afterLogout.setCookie, 'the cookie is forgotten on A as well: a new one');
    assert.equal((await signInAsJoe(afterLogout.client)).authprovider, 'static');
    afterLogout.client.close();

    // Redis away: the browser keeps its cookie and signs in with its other methods; counted and logged.
    const kept = await boundCookie(onA);
    await redis.stop();
    await a.junction.waitForLine((line) => /unreachable|lost|away/i.test(String(line.msg)), 20_000);
    const away = await connectWithCookie(onA, kept);
    assert.equal(away.setCookie, undefined, 'the cookie is kept: it may be bound');
    assert.equal((await signInAsJoe(away.client)).authprovider, 'static');
    away.client.close();
    await a.junction.waitForLine((line) => String(line.msg).includes('cookie store in Redis is not answering'));
    const metrics = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
    assert.match(metrics, /junction_cookie_skipped_total\{[^}]*reason="store_unavailable"[^}]*\} [1-9]/);
    assert.match(metrics, /junction_cookie_store_unavailable_total\{operation="read"\} [1-9]/);
  });
});
