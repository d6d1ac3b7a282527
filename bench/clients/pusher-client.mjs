import { createHmac } from 'node:crypto';
import { WebSocketPeer, openPeer } from './ws-peer.mjs';

/**
 * A Pusher Channels protocol 7 connection as pusher-js makes one (docs/pusher.md), over raw `ws`,
 * without pusher-js's reconnects and timers: connect to `/app/<key>?protocol=7`, wait for
 * `pusher:connection_established` (its socket_id), then
 *
 *   subscribe(channel, onEvent(data, event), { userId })  resolves on
 *     `pusher_internal:subscription_succeeded`; private- and presence- channels are signed here
 *     with the app's secret, as an app's auth endpoint would (HMAC-SHA256 of
 *     "socket_id:channel[:channel_data]"); presence channels join as `userId`;
 *   trigger(channel, event, data)  a client event (`client-*`, private and presence channels);
 *   close()  a close handshake; drop()  the TCP connection cut (a crashed page).
 *
 * Events of `pusher:` and `pusher_internal:` kinds other than those are ignored; a
 * `pusher:error` or `pusher:subscription_error` fails the subscription waiting, or is counted.
 */

export function signChannel(app, socketId, channel, channelData) {
  const signed = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${app.key}:${createHmac('sha256', app.secret).update(signed).digest('hex')}`;
}

export function connectPusher({ url, app }) {
  return openPeer(url, [], (ws) => new PusherConnection(ws, app), 'pusher:connection_established');
}

/** Pusher sends an event's data as JSON text (the SDKs' encoding); anything else passes as it is. */
function decodeData(data) {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

class PusherConnection extends WebSocketPeer {
  constructor(ws, app) {
    super(ws);
    this.app = app;
    this.socketId = null;
    this.handlers = new Map(); // channel -> onEvent
    this.waiting = new Map(); // channel -> { resolve, reject } until subscription_succeeded
    this.errors = 0; // pusher:error frames that answered nothing waiting
    ws.on('message', (data) => this.receive(JSON.parse(String(data))));
    ws.on('close', (code, reason) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`connection closed (${code} ${reason})`));
      this.waiting.clear();
    });
  }

  send(event, data, channel) {
    this.ws.send(JSON.stringify(channel === undefined ? { event, data } : { event, data, channel }));
  }

  receive(message) {
    const { event, channel } = message;
    const data = decodeData(message.data);
    switch (event) {
      case 'pusher:connection_established':
        this.socketId = data.socket_id;
        this.onGreeting?.();
        return;
      case 'pusher:ping':
        return this.send('pusher:pong', {});
      case 'pusher_internal:subscription_succeeded':
        this.waiting.get(channel)?.resolve();
        this.waiting.delete(channel);
        return;
      case 'pusher:subscription_error':
      case 'pusher:error': {
        const waiter = channel === undefined ? undefined : this.waiting.get(channel);
        if (!waiter) return void this.errors++;
        this.waiting.delete(channel);
        waiter.reject(new Error(`${event} ${JSON.stringify(data)}`));
        return;
      }
      default:
        if (event.startsWith('pusher')) return;
        this.handlers.get(channel)?.(data, event);
    }
  }

  subscribe(channel, onEvent, { userId } = {}) {
    const data = { channel };
    if (channel.startsWith('presence-')) {
      data.channel_data = JSON.stringify({ user_id: userId, user_info: { name: userId } });
      data.auth = signChannel(this.app, this.socketId, channel, data.channel_data);
    } else if (channel.startsWith('private-')) {
      data.auth = signChannel(this.app, this.socketId, channel);
    }
    this.handlers.set(channel, onEvent);
    return new Promise((resolve, reject) => {
      this.waiting.set(channel, { resolve, reject });
      this.send('pusher:subscribe', data);
    });
  }

  trigger(channel, event, data) {
    this.send(event, JSON.stringify(data), channel);
  }
}
