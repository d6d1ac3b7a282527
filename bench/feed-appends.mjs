// What an append to a forwarder's Redis feed costs: N appends, one at a time, in one process,
// against a redis-server of its own on a free loopback port (no holder reads them, so the feed
// grows to N). Prints one JSON line: wall µs per append, Redis's own µs per EVAL (INFO
// commandstats), and the memory Redis holds after the N appends (the stream, and with entry
// records, the records).
// Usage: node bench/feed-appends.mjs BUILD_DIR [N]   (BUILD_DIR: a built checkout, this one: .)
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = resolve(process.argv[2] ?? '.');
const count = Number(process.argv[3] ?? 20_000);
const load = (path) => import(pathToFileURL(`${dir}/dist/${path}`).href);
const { RedisFeeds } = await load('src/node/cluster/redis-feeds.js');
const { silentLogger } = await load('src/router/log.js');
const { RunningRedis } = await load('test/support/redis-server.js');
const { Redis } = await import(pathToFileURL(`${dir}/node_modules/ioredis/built/index.js`).href);

const redis = await RunningRedis.start();
const inspector = new Redis(redis.url);
const feeds = new RedisFeeds({ redis: { url: redis.url }, prefix: 'bench', nodeId: 'a', leaseMs: 3_000, log: silentLogger });
try {
  await feeds.ready();
  const feed = feeds.feed('forwarder:orders', { messages: count, bytes: 1e9 });
  const body = JSON.stringify({ args: ['an order of the usual size', 12345], kwargs: { sku: 'A-1', quantity: 2 } });
  const entry = (publication) => ({ url: 'http://127.0.0.1:8080/hook', topic: 'shop.order', publication, body });
  for (let i = 0; i < 500; i++) await feed.append(entry(i)); // warm up
  await inspector.flushall();
  await inspector.config('RESETSTAT');
  const memoryBefore = Number(/used_memory:(\d+)/.exec(await inspector.info('memory'))[1]);
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const refused = await feed.append(entry(i));
    if (refused !== undefined) throw new Error(refused);
  }
  const wallUs = Number(process.hrtime.bigint() - started) / 1000 / count;
  const evalUs = Number(/cmdstat_eval:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(await inspector.info('commandstats'))[1]);
  const memoryAfter = Number(/used_memory:(\d+)/.exec(await inspector.info('memory'))[1]);
  console.log(JSON.stringify({ appends: count, wallUsPerAppend: +wallUs.toFixed(1), redisUsPerEval: evalUs, redisBytesPerAppend: Math.round((memoryAfter - memoryBefore) / count) }));
} finally {
  await feeds.close();
  inspector.disconnect();
  redis.stop();
}
