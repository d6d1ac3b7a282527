import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { APP, rawMember } from '../pusher/support.js';
import { freePort, type RunningJunction, startClusterNode } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { RunningRedis } from '../support/redis-server.js';
import { eventually } from '../support/wait.js';

const skip = skipWithoutDebian('redis-server');
const running: RunningJunction[] = [];
const members: Awaited<ReturnType<typeof rawMember>>[] = [];
let redis: RunningRedis | undefined;
let dir: string | undefined;
after(async () => {
  for (const member of members) member.ws.close();
  running.forEach((junction) => junction.kill());
  await redis?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Rounds of two users racing for the last place, each on its own channel: bounded, and many enough that the old check lost most of them. */
const ROUNDS = 12;

/** A pusher transport first (--port sets its port), one member per presence channel across the cluster. */
function config(): object {
  return {
    version: 2,
    workers: [{
      type: 'router',
      realms: [{ name: 'realm1', roles: [{ name: 'pusher', 'allow-by-default': true }] }],
      transports: [{
        type: 'pusher', endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
        apps: [{ ...APP, realm: 'realm1', role: 'pusher' }], options: { max_presence_members: 1 },
      }],
      cluster: { redis: { url: '${REDIS_URL}' }, heartbeat: 200, lease: 1_000 },
    }],
  };
}

async function member(port: number, user: string): Promise<Awaited<ReturnType<typeof rawMember>>> {
  const joined = await rawMember(port, user);
  members.push(joined);
  return joined;
}

describe('Pusher max_presence_members across two nodes through Redis (the CLI, raw Pusher connections)', { skip }, () => {
  it('admits exactly one of two users joining the last place on two nodes at once, and frees the seat of one who leaves or whose node dies', async () => {
    redis = await RunningRedis.start();
    dir = await mkdtemp(join(tmpdir(), 'junction-presence-race-'));
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify(config()));
    const [portA, portB] = [await freePort(), await freePort()];
    const [nodeA, nodeB] = [await startClusterNode(running, file, portA, { REDIS_URL: redis.url }), await startClusterNode(running, file, portB, { REDIS_URL: redis.url })];
    for (const node of [nodeA, nodeB]) await node.started((line) => line.msg === 'listening' && line.service === 'pusher');

    const admitted: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const channel = `presence-race-${round}`;
      const [onA, onB] = await Promise.all([member(portA, `a${round}`), member(portB, `b${round}`)]);
      onA.subscribe(channel);
      onB.subscribe(channel);
      const outcomes = await Promise.all([onA.outcome, onB.outcome]);
      const joined = outcomes.filter((outcome) => outcome === 'pusher_internal:subscription_succeeded').length;
      assert.equal(joined, 1, `round ${round}: ${outcomes.join(', ')}; one place, two users`);
      admitted.push(outcomes[0] === 'pusher_internal:subscription_succeeded' ? 'a' : 'b');
    }

    // The member on A leaves: a user on B takes the place (the seat was given back in Redis).
    const seat = 'presence-seat';
    const first = await member(portA, 'first');
    first.subscribe(seat);
    assert.equal(await first.outcome, 'pusher_internal:subscription_succeeded');
    const refused = await member(portB, 'second');
    refused.subscribe(seat);
    assert.equal(await refused.outcome, 'pusher:subscription_error', 'the channel is full across the cluster');
    first.ws.close();
    await eventually(async () => {
      const next = await member(portB, 'second');
      next.subscribe(seat);
      return (await next.outcome) === 'pusher_internal:subscription_succeeded' ? true : undefined;
    }, 'a user on B taking the place the member on A left');

    // A node killed -9 holds a seat: the others free it with its claims, once they know it is gone.
    const lost = 'presence-lost';
    const onDoomed = await member(portA, 'doomed');
    onDoomed.subscribe(lost);
    assert.equal(await onDoomed.outcome, 'pusher_internal:subscription_succeeded');
    nodeA.kill();
    await eventually(async () => {
      const next = await member(portB, 'survivor');
      next.subscribe(lost);
      return (await next.outcome) === 'pusher_internal:subscription_succeeded' ? true : undefined;
    }, 'the seat of the member on the killed node freed');
  });
});
