import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Echo from 'laravel-echo';
import { openAutobahn } from '../support/autobahn.js';
import { waitFor } from '../support/wait.js';
import { echoClient, pusherConfig, pusherFixture, serverSdk } from './support.js';

/**
 * Laravel Echo (with pusher-js, in Node) as a Laravel page uses it: Echo.channel, Echo.private,
 * Echo.join with here/joining/leaving, whisper; the app broadcasts through the HTTP API as
 * Laravel's Pusher broadcaster does (event name = the event's class name).
 */
describe('Laravel Echo against the pusher transport', () => {
  const fx = pusherFixture(() => pusherConfig({ topicPrefix: 'laravel.' }));

  const echoFor = (user: string): Echo<'pusher'> => fx.track(echoClient(fx.server.port, fx.auth.url, user));

  it('Echo.channel and Echo.private receive what the app broadcasts, as AutobahnJS does on the mapped topic', async () => {
    const echo = echoFor('1');
    const received: unknown[] = [];
    const subscribed = new Promise<void>((resolve) => echo.private('orders.42').subscribed(() => resolve()).listen('OrderShipped', (event: unknown) => received.push(event)));
    const publicOnes: unknown[] = [];
    const publicSubscribed = new Promise<void>((resolve) => echo.channel('status').subscribed(() => resolve()).listen('.deploy', (event: unknown) => publicOnes.push(event)));
    await Promise.all([subscribed, publicSubscribed]);
    const wamp = await openAutobahn(fx.server.wampUrl);
    const wampEvents: unknown[] = [];
    await wamp.session.subscribe('laravel.private-orders.42', (args: unknown[], kwargs: Record<string, unknown>) => wampEvents.push([args, kwargs]));

    await serverSdk(fx.server.port).trigger('private-orders.42', 'App\\Events\\OrderShipped', { order: { id: 42 } });
    await serverSdk(fx.server.port).trigger('status', 'deploy', { version: '1.2' });
    await waitFor(() => received.length === 1 && publicOnes.length === 1 && wampEvents.length === 1, 'the three deliveries');
    assert.deepEqual(received, [{ order: { id: 42 } }]);
    assert.deepEqual(publicOnes, [{ version: '1.2' }]);
    assert.deepEqual(wampEvents, [[[{ order: { id: 42 } }], { event: 'App\\Events\\OrderShipped' }]]);
    await wamp.close();
  });

  it('Echo.join: here, joining and leaving; whisper reaches the others and AutobahnJS but not the whisperer', async () => {
    const ann = echoFor('1');
    const here: unknown[] = [];
    const joined: unknown[] = [];
    const left: unknown[] = [];
    const whispers: unknown[] = [];
    const ownWhispers: unknown[] = [];
    ann.join('chat')
      .here((users: unknown[]) => here.push(...users))
      .joining((user: unknown) => joined.push(user))
      .leaving((user: unknown) => left.push(user))
      .listenForWhisper('typing', (event: unknown) => whispers.push(event));
    await waitFor(() => here.length === 1, 'ann\'s here()');
    assert.deepEqual(here, [{ name: 'User 1' }]);

    const bob = echoFor('2');
    const carl = echoFor('3');
    const bobChannel = bob.join('chat').listenForWhisper('typing', (event: unknown) => ownWhispers.push(event));
    carl.join('chat');
    await waitFor(() => joined.length === 2, 'two members joining');
    assert.deepEqual(joined.map((user) => (user as { name: string }).name).sort(), ['User 2', 'User 3']);

    const wamp = await openAutobahn(fx.server.wampUrl);
    const wampEvents: unknown[] = [];
    await wamp.session.subscribe('laravel.presence-chat', (args: unknown[], kwargs: Record<string, unknown>) => wampEvents.push([args, kwargs]));
    bobChannel.whisper('typing', { name: 'Bob' });
    await waitFor(() => whispers.length === 1 && wampEvents.length === 1, 'the whisper');
    assert.deepEqual(whispers, [{ name: 'Bob' }]);
    assert.deepEqual(wampEvents, [[[{ name: 'Bob' }], { event: 'client-typing', user_id: '2' }]]);
    assert.deepEqual(ownWhispers, []);
    await wamp.close();

    carl.leave('chat');
    await waitFor(() => left.length === 1, 'one member leaving');
    assert.deepEqual(left, [{ name: 'User 3' }]);
  });
});
