import { connectWamp } from './wamp-client.mjs';
import { connectLeanWamp } from './lean-subscriber.mjs';
import { connectWampRawSocket } from './rawsocket-client.mjs';
import { connectWampLongPoll } from './longpoll-client.mjs';
import { connectSse } from './sse-client.mjs';
import { connectHttpPublisher } from './http-publisher.mjs';
import { connectRelay } from './relay-client.mjs';
import { connectSocketIo } from './socketio-client.mjs';
import { connectMqtt } from './mqtt-client.mjs';

/**
 * One connection to the system under test, of the kind a target names (systems.mjs targetFor).
 * Every client offers the same small surface, or the part its transport can do:
 * subscribe(topic, onEvent(args)), publish(topic, args) resolving on acknowledgement,
 * register(procedure, handler(args) -> args), call(procedure, args) resolving to the result args,
 * close(), and `closed` (true once the connection is gone). WebSocket clients (WAMP, relay,
 * Socket.IO) also have `ended`, resolving once the connection is closed; clients that match
 * answers to requests (WAMP on any transport, relay, Socket.IO) count `unexpectedAnswers`: an
 * answer to no open request (a duplicate), which the workloads report as a fault.
 * The lean subscriber ('wamp-lean', lean-subscriber.mjs) only subscribes, and hands its handler
 * an event's sequence number and arrival time instead of its args (`readsSequences`).
 * The MQTT client ('mqtt', mqtt-client.mjs) subscribes and publishes at its target's `qos`.
 */
export function connectClient(target) {
  switch (target.kind) {
    case 'wamp':
      return connectWamp(target);
    case 'wamp-lean':
      return connectLeanWamp(target);
    case 'wamp-rawsocket':
      return connectWampRawSocket(target);
    case 'wamp-longpoll':
      return connectWampLongPoll(target);
    case 'sse':
      return connectSse(target);
    case 'http-publisher':
      return connectHttpPublisher(target);
    case 'relay':
      return connectRelay(target);
    case 'socketio':
      return connectSocketIo(target);
    case 'mqtt':
      return connectMqtt(target);
    default:
      throw new Error(`unknown client kind "${target.kind}"`);
  }
}

/** Opens `count` connections, at most `parallel` handshakes at a time (1,000 at once would stall). */
export async function connectMany(target, count, parallel = 50) {
  const clients = new Array(count);
  let next = 0;
  async function lane() {
    while (next < count) {
      const index = next++;
      clients[index] = await connectClient(target);
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
  return clients;
}
