import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OpenSession } from '../support/autobahn.js';
import { health, metric, tryRegister } from '../support/node-probes.js';
import { openRouterConfig, startClusterNode } from '../support/cli.js';
import { skipWithoutDebian } from '../support/debian.js';
import { testRun } from '../support/test-run.js';
import { eventually } from '../support/wait.js';

const skip = skipWithoutDebian('redis-server');
const run = testRun();

const commandTimeoutMs = 500;
/** What "answered, not hung" allows: the command timeout plus a generous margin for a loaded machine. Never a speed claim. */
const answeredWithinMs = commandTimeoutMs + 5_000;
const leaseMs = 1_500;

function clusterConfig(): object {
  return openRouterConfig({ ws: { type: 'websocket' }, health: { type: 'health' }, metrics: { type: 'metrics' } },
    { redis: { url: '${REDIS_URL}', command_timeout: commandTimeoutMs }, heartbeat: 200, lease: leaseMs });
}

/** What `action` came to, or a failure if it was still waiting after answeredWithinMs. */
async function answered<T>(what: string, action: Promise<T>): Promise<T | { error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${answeredWithinMs} ms while Redis was stopped`)), answeredWithinMs);
  });
  try {
    return await Promise.race([action.catch((error: { error: string }) => ({ error: error.error })), hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a cluster whose Redis stalls (SIGSTOP) or restarts (the CLI, AutobahnJS)', { skip }, () => {
  it('answers every client action within the command timeout, and converges with no ghost or lost claim', async () => {
    const redis = await run.startRedis();
    const config = await run.configFile(clusterConfig(), 'junction-stall-');
    const nodeA = await startClusterNode(run.running, config, 0, { REDIS_URL: redis.url });
    const nodeB = await startClusterNode(run.running, config, 0, { REDIS_URL: redis.url });
    const [portA, portB] = [await nodeA.port(), await nodeB.port()];
    const onA = await run.open(await nodeA.url());
    const onB = await run.open(await nodeB.url());
    const leaving = await run.open(await nodeB.url());
    const received: unknown[] = [];
    await onB.session.subscribe('stall.news', (args: unknown[]) => void received.push(args[0]));
    await onB.session.register('stall.add', (args: number[]) => args[0]! + args[1]!);
    const unregistered = await onB.session.register('stall.unreg', () => 0);
    await leaving.session.register('stall.leaving', () => 0);
    assert.equal(await eventually(() => onA.session.call('stall.add', [2, 3]) as Promise<number>, 'a call from A to B'), 5);

    redis.pause();
    // Each action sent while Redis does not answer gets its answer, none hangs.
    const [register, unregister, goodbye, published, subscribed, hello, crossing] = await Promise.all([
      answered('REGISTER', onA.session.register('stall.new', () => 0).then(() => 'registered')),
      answered('UNREGISTER', onB.session.unregister(unregistered).then(() => 'unregistered')),
      answered('GOODBYE', leaving.close().then(() => 'closed')),
      answered('PUBLISH acknowledged', onA.session.publish('stall.local', [], {}, { acknowledge: true }).then(() => 'published')),
      answered('SUBSCRIBE', onA.session.subscribe('stall.more', () => {}).then(() => 'subscribed')),
      answered('HELLO', run.open(await nodeA.url()).then(() => 'welcome')),
      answered('PUBLISH to a subscriber on B', onA.session.publish('stall.news', ['during'], {}, { acknowledge: true }).then(() => 'published')),
    ]);
    // The claim went to Redis and got no answer: whether Redis took it is unknown, so it is refused.
    assert.deepEqual(register, { error: 'junction.error.cluster_timeout' });
    assert.equal(unregister, 'unregistered');
    assert.equal(goodbye, 'closed');
    assert.equal(published, 'published');
    assert.equal(subscribed, 'subscribed');
    assert.equal(hello, 'welcome');
    assert.equal(crossing, 'published');
    const degraded = await eventually(async () => {
      const body = await health(portA);
      return body.status === 'degraded' ? body : undefined;
    }, '/health degraded while Redis does not answer');
    assert.match(String(degraded.reason), /does not answer \(cluster\.redis\.command_timeout 500 ms\)/);
    assert.ok(await metric(portA, 'junction_cluster_redis_timeouts_total{command="claim",connection="backplane"}') >= 1, 'the unanswered claim is counted');
    await nodeA.waitForLine((line) => line.level === 40 && /did not answer a command within 500 ms \(cluster\.redis\.command_timeout\): backplane claim/.test(line.msg), 10_000);
    // Once the node knows Redis does not answer, it serves on its own, as when Redis is away.
    const local = await answered('REGISTER while degraded', onA.session.register('stall.alone', () => 'here').then(() => 'registered'));
    assert.equal(local, 'registered');
    assert.equal(await answered('a call on the node itself', onA.session.call('stall.alone') as Promise<string>), 'here');
    // Paused past the lease: each node lets the other go, as when Redis is away, but frees none of its claims.
    await new Promise((resolve) => setTimeout(resolve, leaseMs + 500));
    redis.resume();

    for (const port of [portA, portB]) {
      await eventually(async () => ((await health(port)).status === 'serving' ? true : undefined), `node on ${port} serving again`);
    }
    // The publication made during the stall reached B once (Redis ran it when it woke up), or was counted as dropped: never twice, never silently lost.
    const during = received.filter((event) => event === 'during').length;
    const dropped = await metric(portA, 'junction_backplane_dropped_total{reason="unreachable"}');
    assert.ok(during === 1 || (during === 0 && dropped > 0), `delivered ${during} times, ${dropped} counted as dropped`);
    await converged(onA, onB, received);
    // A's unanswered claim of stall.new ran when Redis woke up; A gave it back: B may take it.
    assert.equal(await tryRegister(onB, 'stall.new'), 'registered', 'no ghost of the unanswered claim');
    // What B released while Redis was stopped is free; B's claim that it kept is still B's; A's claim made alone is A's.
    assert.equal(await tryRegister(onA, 'stall.unreg'), 'registered');
    assert.equal(await tryRegister(onA, 'stall.leaving'), 'registered');
    assert.equal(await tryRegister(onA, 'stall.add'), 'wamp.error.procedure_already_exists', 'B\'s claim survived the stall');
    assert.equal(await tryRegister(onB, 'stall.alone'), 'wamp.error.procedure_already_exists', 'A\'s registration made alone is claimed');

    // Redis restarts empty: both nodes announce themselves and their claims again.
    await redis.stop();
    await redis.restart();
    for (const port of [portA, portB]) {
      await eventually(async () => ((await health(port)).status === 'serving' ? true : undefined), `node on ${port} serving after the restart`);
    }
    await converged(onA, onB, received);
    assert.equal(await eventually(async () => {
      const answer = await tryRegister(onA, 'stall.add');
      return answer === 'wamp.error.procedure_already_exists' ? answer : undefined;
    }, 'B claims stall.add again in the new Redis'), 'wamp.error.procedure_already_exists');
    assert.equal(await tryRegister(onB, 'stall.alone'), 'wamp.error.procedure_already_exists');
  });
});

/** Calls and publications cross again, and both nodes count the same sessions. */
async function converged(onA: OpenSession, onB: OpenSession, received: unknown[]): Promise<void> {
  assert.equal(await eventually(() => onA.session.call('stall.add', [1, 1]) as Promise<number>, 'a call from A to B again'), 2);
  await eventually(async () => {
    await onA.session.publish('stall.news', ['again'], {}, { acknowledge: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    return received.includes('again') ? true : undefined;
  }, 'a publication from A reaching B again');
  received.length = 0;
  await eventually(async () => {
    const [countA, countB] = await Promise.all([onA.session.call('wamp.session.count'), onB.session.call('wamp.session.count')]);
    return countA === countB ? true : undefined;
  }, 'both nodes counting the same sessions');
}
