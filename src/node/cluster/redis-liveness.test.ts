import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { skipWithoutDebian } from '../../../test/support/debian.js';
import { RunningRedis } from '../../../test/support/redis-server.js';
import { waitFor } from '../../../test/support/wait.js';
import { RedisLiveness } from './redis-liveness.js';

const skip = skipWithoutDebian('redis-server');
const everyMs = 50;
let redis: RunningRedis | undefined;
const clients: Redis[] = [];
const livenesses: RedisLiveness[] = [];

before(async () => {
  if (!skip) redis = await RunningRedis.start();
});
after(async () => {
  livenesses.forEach((liveness) => liveness.stop());
  clients.forEach((client) => client.disconnect());
  await redis?.stop();
});

function client(): Redis {
  const connection = new Redis(redis!.url);
  connection.on('error', () => {});
  clients.push(connection);
  return connection;
}

/** A peer's subscriber connection on its own channel, as a RedisLink holds one. */
async function peer(node: string): Promise<Redis> {
  const subscriber = client();
  await subscriber.subscribe(`lv:node:${node}`);
  return subscriber;
}

function liveness(options: { connectedAt: () => number | undefined; peers: Map<string, number> }): string[] {
  const gone: string[] = [];
  livenesses.push(new RedisLiveness({
    redis: client(), channelOf: (node) => `lv:node:${node}`, everyMs, connectedAt: options.connectedAt, peers: () => options.peers,
    gone: (node) => {
      gone.push(node);
      options.peers.delete(node);
    },
  }));
  return gone;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisLiveness', { skip }, () => {
  it('declares gone the peer whose subscriber connection closed, and only it', async () => {
    const x = await peer('x');
    await peer('y');
    const connectedAt = Date.now() - 1_000;
    const peers = new Map([['x', Date.now()], ['y', Date.now()]]);
    const gone = liveness({ connectedAt: () => connectedAt, peers });
    await sleep(4 * everyMs);
    assert.equal(gone.join(), '', 'both peers are subscribed');
    x.disconnect();
    await waitFor(() => gone.length > 0, 'x declared gone');
    await sleep(4 * everyMs);
    assert.deepEqual(gone, ['x'], 'once, and y stays');
  });

  it('says nothing while this node\'s own connection is down, nor of a peer not heard since it came back', async () => {
    let connectedAt: number | undefined;
    const peers = new Map([['heard-before', Date.now() - 10], ['silent', Date.now()]]);
    const gone = liveness({ connectedAt: () => connectedAt, peers });
    await sleep(4 * everyMs);
    assert.equal(gone.join(), '', 'our connection is down: no channel counts are trusted');
    connectedAt = Date.now(); // back (say after a Redis restart): neither peer has spoken on it yet
    await sleep(4 * everyMs);
    assert.equal(gone.join(), '', 'peers may still be reconnecting: their lease decides');
    peers.set('silent', Date.now()); // heard on this Redis, yet no subscriber: its process is gone
    await waitFor(() => gone.includes('silent'), 'silent declared gone once heard');
    assert.deepEqual(gone, ['silent']);
  });
});
