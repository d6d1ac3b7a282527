/**
 * Reconnection against a real router: the router stops and starts again on the same port;
 * the client redials, restores its subscription and registration, and says so on status().
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connect, type Status } from '../../src/client/index.js';
import { startTestNode, testConfig } from '../support/node.js';

describe('client reconnect against a restarted router', { timeout: 20_000 }, () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('restores subscriptions and registrations after the router restarts on the same port', async () => {
    let node = await startTestNode();
    const port = node.ports.get('test')!;
    const session = await connect({ url: node.url, realm: 'realm1', reconnect: { initialDelay: 20, maxDelay: 200, jitter: 0 } });
    cleanup.push(() => session.leave());

    const events: unknown[] = [];
    let eventArrived!: () => void;
    const subscription = await session.subscribe('restart.news', (args) => {
      events.push(args[0]);
      eventArrived();
    });
    const registration = await session.register('restart.echo', ([value]: [unknown]) => value);
    const idsBefore = [session.id, subscription.id, registration.id];

    // Record statuses until the session is restored.
    const statuses: Status[] = [];
    let restored!: () => void;
    const whenRestored = new Promise<void>((resolve) => (restored = resolve));
    void (async () => {
      for await (const status of session.status()) {
        statuses.push(status);
        if (status.type === 'restored') restored();
      }
    })();

    await node.stop();
    const config = testConfig();
    config.listeners[0]!.endpoint.port = port;
    node = await startTestNode(config);
    cleanup.unshift(() => node.stop());
    await whenRestored;

    const kinds = statuses.map((status) => status.type);
    assert.equal(kinds[0], 'closed');
    assert.ok(kinds.includes('retrying') && kinds.includes('connecting') && kinds.includes('open'), kinds.join(' '));
    assert.deepEqual(statuses.at(-1), { type: 'restored', subscriptions: 1, registrations: 1, failures: [] });
    assert.equal(session.state, 'open');
    assert.notDeepEqual([session.id, subscription.id, registration.id], idsBefore);

    // The restored subscription and registration work for a fresh client.
    const other = await connect({ url: node.url, realm: 'realm1', reconnect: false });
    cleanup.push(() => other.leave());
    const delivered = new Promise<void>((resolve) => (eventArrived = resolve));
    await other.publish('restart.news', ['after restart'], undefined, { acknowledge: true });
    await delivered;
    assert.deepEqual(events, ['after restart']);
    assert.deepEqual((await other.call('restart.echo', ['ping'])).args, ['ping']);
  });

  it('holds calls made while reconnecting until the router is back', async () => {
    let node = await startTestNode();
    const port = node.ports.get('test')!;
    const callee = await connect({ url: node.url, realm: 'realm1', reconnect: { initialDelay: 20, maxDelay: 100, jitter: 0 } });
    const caller = await connect({ url: node.url, realm: 'realm1', reconnect: { initialDelay: 20, maxDelay: 100, jitter: 0 } });
    cleanup.push(() => callee.leave(), () => caller.leave());
    await callee.register('restart.twice', ([n]: [number]) => n * 2);

    const callerStatus = caller.status();
    await node.stop();
    for await (const status of callerStatus) if (status.type === 'retrying') break;
    assert.equal(caller.state, 'reconnecting');
    const held = caller.call<[number], {}, [number]>('restart.twice', [21]);

    const config = testConfig();
    config.listeners[0]!.endpoint.port = port;
    node = await startTestNode(config);
    cleanup.unshift(() => node.stop());
    // The caller may be back before the callee has re-registered: retry until it has.
    const result = await held.catch(async (error: { uri?: string }) => {
      assert.equal(error.uri, 'wamp.error.no_such_procedure');
      const calleeStatus = callee.status(); // subscribed before the state check, so no status slips by
      if (callee.state !== 'open') for await (const status of calleeStatus) if (status.type === 'restored') break;
      return caller.call<[number], {}, [number]>('restart.twice', [21]);
    });
    assert.deepEqual(result.args, [42]);
  });
});
