import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/wait.js';
import { connected, HookReceiver, once, pusherClient, pusherConfig, removeDir, serverSdk, startAuthApp, startPusherNode, type AuthApp, type PusherClient } from './support.js';

describe('pusher webhooks', () => {
  let receiver: HookReceiver;
  let auth: AuthApp;
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-pusher-hooks-'));
  const config = () => pusherConfig({ webhooks: [{ url: receiver.url, events: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event'] }] });

  before(async () => {
    receiver = new HookReceiver();
    await receiver.start();
    auth = await startAuthApp();
  });
  after(async () => {
    await receiver.stop();
    await auth.close();
    removeDir(dataDir);
  });

  it('arrive batched {time_ms, events}, signed so that the pusher SDK validates them', async () => {
    const server = await startPusherNode(config(), dataDir);
    let client: PusherClient | undefined;
    try {
      client = pusherClient(server.port, { channelAuthorization: { endpoint: auth.url, transport: 'ajax', headers: { 'X-User': '5' } } });
      await connected(client);
      const room = client.subscribe('presence-room');
      await once(room, 'pusher:subscription_succeeded');
      room.trigger('client-hello', { hi: true });
      await waitFor(() => receiver.events().length >= 3, 'three webhook events', 10_000);
      client.disconnect();
      client = undefined;
      await waitFor(() => receiver.events().length >= 5, 'five webhook events', 10_000);

      const names = receiver.events().map((event) => event.name);
      assert.deepEqual(names, ['channel_occupied', 'member_added', 'client_event', 'member_removed', 'channel_vacated']);
      assert.deepEqual(receiver.events()[1], { name: 'member_added', channel: 'presence-room', user_id: '5' });
      const clientEvent = receiver.events()[2]!;
      assert.equal(clientEvent.event, 'client-hello');
      assert.equal(clientEvent.data, '{"hi":true}');
      assert.equal(clientEvent.user_id, '5');
      assert.match(String(clientEvent.socket_id), /^\d+\.\d+$/);
      // Subscribing made occupied and member_added in one turn: one batch.
      assert.equal(JSON.parse(receiver.accepted[0]!.body).events.length, 2);
      for (const hook of receiver.accepted) {
        assert.equal(typeof JSON.parse(hook.body).time_ms, 'number');
        assert.equal(hook.headers['x-pusher-key'], 'app-key');
        assert.ok(serverSdk(server.port).webhook({ headers: hook.headers as Record<string, string>, rawBody: hook.body }).isValid(), 'the SDK validates the signature');
      }
    } finally {
      client?.disconnect();
      await server.stop();
    }
  });

  it('survive an app outage and a router restart, in order', { timeout: 60_000 }, async () => {
    receiver.accepted.length = 0;
    receiver.down = true;
    const first = await startPusherNode(config(), dataDir);
    const client = pusherClient(first.port);
    try {
      await connected(client);
      await once(client.subscribe('outage-1'), 'pusher:subscription_succeeded');
      await once(client.subscribe('outage-2'), 'pusher:subscription_succeeded');
      await waitFor(() => receiver.refused >= 1, 'a refused delivery', 10_000);
    } finally {
      client.disconnect();
      await first.stop();
    }
    // The router restarts on the same data folder; the app comes back.
    receiver.down = false;
    const second = await startPusherNode(config(), dataDir);
    try {
      const held = () => receiver.events().filter((event) => String(event.channel).startsWith('outage-'));
      await waitFor(() => held().length >= 4, 'the held events after the restart', 20_000);
      assert.deepEqual(held().map((event) => [event.name, event.channel]), [
        ['channel_occupied', 'outage-1'], ['channel_occupied', 'outage-2'], ['channel_vacated', 'outage-1'], ['channel_vacated', 'outage-2'],
      ]);
    } finally {
      await second.stop();
    }
  });
});
