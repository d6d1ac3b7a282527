import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryHub } from '../../router/backplane-memory.js';
import { PusherApp } from './app.js';
import type { WebhookEvent } from './webhook-sink.js';
import type { ChannelSubscriber } from './channels.js';

const settings = {
  id: 'app1', key: 'k', secret: 's', realm: 'realm1', role: 'pusher', clientEvents: true, topicPrefix: '', strictUris: false,
};

/** A subscriber that keeps the frames it was sent, as event names with their user_id. */
function subscriber(socketId: string): ChannelSubscriber & { got: string[] } {
  const got: string[] = [];
  return {
    socketId, got,
    send: (text) => {
      const { event, data } = JSON.parse(text) as { event: string; data: string };
      got.push(`${event} ${String((JSON.parse(data) as { user_id?: string }).user_id)}`);
    },
  };
}

/** Lets shares (once per turn) and the hub's deliveries (microtasks) happen. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve));
}

function node(hub: MemoryHub, nodeId: string, webhooks: boolean): { app: PusherApp; reported: string[] } {
  const reported: string[] = [];
  const sink = webhooks ? { emit: (event: WebhookEvent) => void reported.push(`${event.name} ${'user_id' in event ? event.user_id : event.channel}`) } : undefined;
  return { app: new PusherApp(settings, sink, { link: hub.node(nodeId), transportId: 'pusher' }), reported };
}

describe('a Pusher app across the nodes of a cluster', () => {
  it('shows every member to every node, adds and removes a user once however many connections and nodes it has, and reports webhooks from one node', async () => {
    const hub = new MemoryHub();
    const a = node(hub, 'a', true);
    const b = node(hub, 'b', true); // "a" sorts first: a reports
    const c = node(hub, 'c', false);
    await settle();
    const [onA, onB, onC, alsoOnC] = [subscriber('1.1'), subscriber('2.1'), subscriber('3.1'), subscriber('3.2')];
    a.app.channels.join('presence-room', onA, { user_id: '7', user_info: { name: 'Ann' } });
    await settle();
    b.app.channels.join('presence-room', onB, { user_id: '8' });
    await settle();
    c.app.channels.join('presence-room', onC, { user_id: '7', user_info: { name: 'Ann' } }); // Ann again, on another node
    c.app.channels.join('presence-room', alsoOnC, { user_id: '9' });
    await settle();
    for (const { app } of [a, b, c]) {
      assert.deepEqual(app.channels.userIds('presence-room').sort(), ['7', '8', '9']);
      assert.equal(app.channels.subscriptionCount('presence-room'), 4);
      assert.deepEqual(app.channels.presence('presence-room').hash['7'], { name: 'Ann' });
    }
    assert.deepEqual(onA.got, ['pusher_internal:member_added 8', 'pusher_internal:member_added 9']);
    assert.deepEqual(onC.got, ['pusher_internal:member_added 9'], 'Ann was there already: no member_added for her second connection');
    assert.deepEqual(a.reported, ['channel_occupied presence-room', 'member_added 7', 'member_added 8', 'member_added 9']);
    assert.deepEqual(b.reported, [], 'only the webhook node reports');

    a.app.channels.leave('presence-room', onA); // Ann is still on c
    await settle();
    assert.deepEqual(onB.got, ['pusher_internal:member_added 9']);
    hub.kill('c'); // Ann's last connection and user 9 go with it
    await settle();
    assert.deepEqual(onB.got.slice(1).sort(), ['pusher_internal:member_removed 7', 'pusher_internal:member_removed 9']);
    assert.deepEqual(b.app.channels.userIds('presence-room'), ['8']);
    assert.deepEqual(a.app.channels.userIds('presence-room'), ['8']);
    assert.deepEqual(a.reported.slice(4).sort(), ['member_removed 7', 'member_removed 9']);

    hub.kill('a'); // the webhook node: b takes over before a's entries go
    await settle();
    b.app.channels.leave('presence-room', onB);
    await settle();
    assert.deepEqual(b.reported, ['member_removed 8', 'channel_vacated presence-room']);
    assert.equal(b.app.channels.occupied('presence-room'), false);
  });

  it('sends client events to the webhook node, ends a user\'s connections on every node, and counts public channels cluster-wide', async () => {
    const hub = new MemoryHub();
    const a = node(hub, 'a', true);
    const b = node(hub, 'b', false);
    await settle();
    b.app.webhooks.emit({ name: 'client_event', channel: 'private-x', event: 'client-typing', data: '{}', socket_id: '2.1' });
    const ended: string[] = [];
    b.app.add({ socketId: '2.5', userId: 'u1', terminate: (code) => void ended.push(`2.5 ${code}`) });
    b.app.add({ socketId: '2.6', userId: 'u2', terminate: (code) => void ended.push(`2.6 ${code}`) });
    a.app.terminateUser('u1');
    b.app.channels.join('news', subscriber('2.7'));
    b.app.channels.join('news', subscriber('2.8'));
    await settle();
    assert.deepEqual(a.reported, ['client_event private-x', 'channel_occupied news']);
    assert.deepEqual(ended, ['2.5 4009']);
    assert.equal(a.app.channels.subscriptionCount('news'), 2);
    assert.deepEqual(a.app.channels.names(), ['news']);
    b.app.stop(); // its transport closes: the others forget what it shared
    await settle();
    assert.equal(a.app.channels.occupied('news'), false);
    assert.deepEqual(a.reported.slice(2), ['channel_vacated news']);
  });

  it('hands the webhook duty on when the webhook node stops, after its own members, so nothing is reported twice', async () => {
    const hub = new MemoryHub();
    const a = node(hub, 'a', true);
    const b = node(hub, 'b', true);
    await settle();
    const [onA, onB] = [subscriber('1.1'), subscriber('2.1')];
    a.app.channels.join('presence-room', onA, { user_id: '7' });
    b.app.channels.join('presence-room', onB, { user_id: '8' });
    await settle();
    a.app.channels.leave('presence-room', onA); // a's transport closes: its connections end, then the app stops
    a.app.stop();
    await settle();
    b.app.channels.leave('presence-room', onB);
    await settle();
    assert.deepEqual(a.reported, ['channel_occupied presence-room', 'member_added 7', 'member_added 8', 'member_removed 7']);
    assert.deepEqual(b.reported, ['member_removed 8', 'channel_vacated presence-room']);
    assert.deepEqual(onB.got, ['pusher_internal:member_added 7', 'pusher_internal:member_removed 7']);
  });
});
