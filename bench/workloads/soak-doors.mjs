import { request as httpRequest } from 'node:http';
import PusherServer from 'pusher';
import { connectMany } from '../clients/index.mjs';
import { connectSse } from '../clients/sse-client.mjs';
import { connectMqtt } from '../clients/mqtt-client.mjs';
import { connectHttpPublisher } from '../clients/http-publisher.mjs';
import { connectPusher } from '../clients/pusher-client.mjs';
import { connectWamp1 } from '../clients/wamp1-client.mjs';
import { withTimeout } from '../lib/clock.mjs';
import { SSE_HISTORY_PREFIX } from '../systems.mjs';

/**
 * The soak's doors other than WAMP over WebSocket (workloads/soak-load.mjs runs that one): for
 * each, how a steady client listens to the fan-out topic, and one churn client's life, which
 * joins, subscribes, receives, publishes, calls where the door allows it, and leaves, every
 * other one by dropping its connection (`dropped`: odd ids):
 *
 *   rawsocket  a WAMP session over RawSocket, as the WebSocket churn does (workChurnSession);
 *   longpoll   the same over HTTP long-poll; a dropped one stops polling without a close, so the
 *              router ends it after its session_timeout;
 *   sse        a stream on a topic with event history that receives its own publication, then
 *              goes away; every other one comes back with Last-Event-ID and must get the
 *              publication it missed meanwhile, replayed;
 *   http       a publish POST and a call POST; even ids publish on a keep-alive connection and
 *              read the call's echo on a connection of its own, odd ones publish on a connection
 *              of their own and cut the call's connection once its request is sent;
 *   pusher     a protocol 7 connection subscribing to a public, a private and a presence
 *              channel (signed here with the app's secret), sending a client event, and
 *              receiving the event the HTTP API (the `pusher` SDK) publishes to its public channel;
 *   mqtt       MQTT 3.1.1 with a will, clean or persistent (a persistent client id is one of
 *              MQTT_PERSISTENT_IDS, so the sessions kept stay bounded), QoS 0 or 1: subscribes,
 *              receives its own publication, publishes a retained message and receives a
 *              retained copy on a new subscription; a dropped one's will is published;
 *   wamp1      a WAMP v1 page: SUBSCRIBE, a CALL of the echo procedure (which also tells that the
 *              SUBSCRIBE was handled: v1 does not answer it), a PUBLISH it receives itself.
 *
 * Every wait is bounded (STEP_TIMEOUT_MS) and every connection is closed or dropped in a
 * `finally`, so a stalled router fails a churn client rather than leaving it open.
 */

export const DOORS = ['wamp', 'rawsocket', 'longpoll', 'sse', 'http', 'pusher', 'mqtt', 'wamp1'];

const STEP_TIMEOUT_MS = 8_000;
/** Churn clients of a door share this many topics or channels (so they gain and lose subscribers). */
export const CHURN_TOPICS = 16;
/** Persistent MQTT client ids reused round-robin: after the first few turns, no session is new. */
const MQTT_PERSISTENT_IDS = 16;

/** A promise and its resolve, for an arrival a handler reports. */
function arrival() {
  let resolve;
  const promise = new Promise((done) => (resolve = done));
  return { promise, resolve };
}

const persistentClientId = (id) => `soak-persistent-${id % MQTT_PERSISTENT_IDS}`;
const waitFor = (promise, what) => withTimeout(promise, STEP_TIMEOUT_MS, what);
const dropped = (id) => id % 2 === 1;

/** POST `body` as JSON on a connection of its own; `cut`: destroy it once the request is sent. */
function postAlone(url, body, { cut = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode, text }));
      response.on('error', reject);
    });
    req.end(JSON.stringify(body));
    if (!cut) return void req.on('error', reject);
    // Cut: no answer is read; done once the connection is gone (an error or not, however it ends).
    req.on('error', () => {});
    req.on('close', () => resolve({ status: 0, text: '' }));
    req.on('finish', () => setImmediate(() => req.destroy()));
  });
}

/**
 * The door clients of one soak: `load` is the SoakLoad (its publisher and echo procedure, its
 * churnSession for WAMP doors), `doors` the router's door targets (systems.mjs `doors`).
 */
export class DoorClients {
  constructor(load, doors) {
    this.load = load;
    this.doors = doors;
    this.closers = [];
    this.pusherApi = new PusherServer({ appId: doors.pusher.app.id, key: doors.pusher.app.key, secret: doors.pusher.app.secret, host: '127.0.0.1', port: String(doors.pusher.port), useTLS: false });
    this.wills = 0;
  }

  /**
   * Opens `count` steady clients of `door` listening to `topic`; each calls onArgs(args) per
   * event; resolves once they all listen. The HTTP bridge has no listener.
   */
  async openListeners(door, count, topic, onArgsFor) {
    const listen = {
      rawsocket: () => this.wampListeners(this.doors.rawsocket, count, topic, onArgsFor),
      longpoll: () => this.wampListeners(this.doors.longpoll, count, topic, onArgsFor),
      sse: () => this.each(count, async (i) => {
        const stream = await connectSse(this.doors.sse);
        this.closers.push(() => stream.close());
        await stream.subscribe(topic, onArgsFor(i));
      }),
      mqtt: () => this.each(count, async (i) => {
        const client = await connectMqtt({ ...this.doors.mqtt, qos: i % 2 });
        this.closers.push(() => client.close());
        await client.subscribe(topic, onArgsFor(i));
      }),
      pusher: () => this.each(count, async (i) => {
        const connection = await connectPusher(this.doors.pusher);
        this.closers.push(() => connection.close());
        // Several arguments reach a Pusher client as one array.
        await connection.subscribe(topic, onArgsFor(i));
      }),
      wamp1: () => this.each(count, async (i) => {
        const page = await connectWamp1(this.doors.wamp1);
        this.closers.push(() => page.close());
        page.subscribe(topic, onArgsFor(i));
        await waitFor(page.call(this.load.echoProcedure, 0), 'a v1 page\'s first call');
      }),
      http: async () => 0,
    }[door];
    await listen();
    return door === 'http' ? 0 : count;
  }

  async wampListeners(target, count, topic, onArgsFor) {
    const sessions = await connectMany(target, count);
    this.closers.push(() => sessions.forEach((session) => session.close()));
    await Promise.all(sessions.map((session, i) => session.subscribe(topic, onArgsFor(i))));
  }

  async each(count, open) {
    await Promise.all(Array.from({ length: count }, (_, i) => open(i)));
  }

  /** One steady MQTT client counting the wills of dropped MQTT churn clients. */
  async countWills() {
    const client = await connectMqtt(this.doors.mqtt);
    this.closers.push(() => client.close());
    await client.subscribe('soak.will.#', () => this.wills++);
  }

  /** The HTTP door's keep-alive publisher (opened once, used by even churn ids). */
  async openHttp() {
    this.httpPublisher = await connectHttpPublisher({ url: this.doors.http.publish, connections: 4 });
    this.closers.push(() => this.httpPublisher.close());
  }

  /**
   * Closes the steady clients and ends the persistent MQTT sessions the churn left (a clean
   * CONNECT of each of their client ids), so that the router holds nothing of the soak's clients.
   */
  async close() {
    for (const close of this.closers.splice(0)) close();
    if (!this.doors.mqtt) return;
    await Promise.all(Array.from({ length: MQTT_PERSISTENT_IDS }, async (_, i) => {
      const client = await waitFor(connectMqtt({ ...this.doors.mqtt, clientId: persistentClientId(i) }), 'a clean CONNECT ending a persistent session');
      client.close();
    }));
  }

  /** One churn client's life on `door`. */
  churn(door, id) {
    switch (door) {
      case 'rawsocket':
        return this.load.churnSession(id, door, this.doors.rawsocket);
      case 'longpoll':
        return this.load.churnSession(id, door, this.doors.longpoll);
      case 'sse':
        return this.sseChurn(id);
      case 'http':
        return this.httpChurn(id);
      case 'pusher':
        return this.pusherChurn(id);
      case 'mqtt':
        return this.mqttChurn(id);
      case 'wamp1':
        return this.wamp1Churn(id);
      default:
        throw new Error(`no churn for door "${door}"`);
    }
  }

  async sseChurn(id) {
    const topic = `${SSE_HISTORY_PREFIX}${id % CHURN_TOPICS}`;
    const publisher = this.load.publisher;
    let lastEventId;
    const first = arrival();
    const stream = await connectSse(this.doors.sse);
    try {
      await stream.subscribe(topic, ([from, step], eventId) => {
        if (from !== id) return;
        lastEventId = eventId;
        if (step === 1) first.resolve();
      });
      await publisher.publish(topic, [id, 1]);
      await waitFor(first.promise, 'an SSE stream\'s event');
    } finally {
      stream.close();
    }
    if (!dropped(id)) return;
    // Published while the stream is away: the resumed stream must replay it from the history.
    await publisher.publish(topic, [id, 2]);
    const missed = arrival();
    const resumed = await connectSse(this.doors.sse);
    try {
      await resumed.subscribe(topic, ([from, step]) => {
        if (from === id && step === 2) missed.resolve();
      }, { lastEventId });
      await waitFor(missed.promise, 'the event missed before a Last-Event-ID resume');
    } finally {
      resumed.close();
    }
  }

  async httpChurn(id) {
    const topic = `soak.http.${id % CHURN_TOPICS}`;
    const call = { procedure: this.load.echoProcedure, args: [id] };
    if (!dropped(id)) {
      await this.httpPublisher.publish(topic, [id]);
      const answer = await waitFor(postAlone(this.doors.http.call, call), 'an HTTP call');
      if (answer.status !== 200 || JSON.parse(answer.text).args?.[0] !== id) throw new Error(`HTTP call answered ${answer.status} ${answer.text.slice(0, 200)}`);
      return;
    }
    const published = await waitFor(postAlone(this.doors.http.publish, { topic, args: [id] }), 'an HTTP publish');
    if (published.status !== 200) throw new Error(`HTTP publish answered ${published.status} ${published.text.slice(0, 200)}`);
    await waitFor(postAlone(this.doors.http.call, call, { cut: true }), 'an HTTP call cut short');
  }

  async pusherChurn(id) {
    const n = id % CHURN_TOPICS;
    const channels = { public: `soak-public-${n}`, private: `private-soak-${n}`, presence: `presence-soak-${n}` };
    const fromApi = arrival();
    const connection = await connectPusher(this.doors.pusher);
    try {
      await waitFor(connection.subscribe(channels.public, (data) => {
        if (data?.id === id) fromApi.resolve();
      }), 'a public channel subscription');
      await waitFor(connection.subscribe(channels.private, () => {}), 'a private channel subscription');
      await waitFor(connection.subscribe(channels.presence, () => {}, { userId: `soak-user-${id}` }), 'a presence channel subscription');
      connection.trigger(channels.private, 'client-soak', { id });
      await waitFor(this.pusherApi.trigger(channels.public, 'soak', { id }), 'a Pusher HTTP API publish');
      await waitFor(fromApi.promise, 'the Pusher HTTP API\'s event');
    } finally {
      if (dropped(id)) connection.drop();
      else connection.close();
    }
  }

  async mqttChurn(id) {
    const n = id % CHURN_TOPICS;
    const persistent = id % 4 >= 2;
    const qos = id % 8 >= 4 ? 1 : 0;
    const clientId = persistent ? persistentClientId(id) : `soak-clean-${id}`;
    const client = await connectMqtt({ ...this.doors.mqtt, qos, clientId, clean: !persistent, will: { topic: `soak.will.${n}`, args: [id], qos } });
    try {
      const own = arrival();
      await waitFor(client.subscribe(`soak.mqtt.${n}`, ([from]) => {
        if (from === id) own.resolve();
      }), 'an MQTT subscription');
      await waitFor(client.publish(`soak.mqtt.${n}`, [id]), 'an MQTT publish');
      await waitFor(own.promise, 'an MQTT client\'s own publication');
      await waitFor(client.publish(`soak.retained.${n}`, [id], { retain: true }), 'a retained MQTT publish');
      const retained = arrival();
      await waitFor(client.subscribe(`soak.retained.${n}`, (args, packet) => {
        if (packet.retain) retained.resolve();
      }), 'an MQTT subscription to a retained topic');
      await waitFor(retained.promise, 'a retained message');
    } finally {
      if (dropped(id)) client.drop();
      else client.close();
    }
  }

  async wamp1Churn(id) {
    const topic = `soak.wamp1.${id % CHURN_TOPICS}`;
    const own = arrival();
    const page = await connectWamp1(this.doors.wamp1);
    try {
      page.subscribe(topic, (event) => {
        if (event === id) own.resolve();
      });
      const echoed = await waitFor(page.call(this.load.echoProcedure, id), 'a v1 call');
      if (echoed !== id) throw new Error(`the v1 echo returned ${JSON.stringify(echoed)}, expected ${id}`);
      page.publish(topic, id, { excludeMe: false });
      await waitFor(own.promise, 'a v1 page\'s own event');
    } finally {
      if (dropped(id)) page.drop();
      else page.close();
    }
  }
}
