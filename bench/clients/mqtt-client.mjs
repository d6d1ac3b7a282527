import { connect as connectTcp } from 'node:net';
import mqttPacket from 'mqtt-packet';

/**
 * A lean MQTT 3.1.1 (or, with the target's `protocolVersion: 5`, MQTT 5) client for the bench: mqtt-packet's parser and generator over a plain TCP
 * socket, nothing else. Not MQTT.js: its streams, stores and per-packet bookkeeping cost the load
 * generator more than a broker spends per message, and with 1,000 subscribers in one process the
 * client would be what the run measures.
 *
 * The bench's surface (clients/index.mjs): subscribe(topic, onEvent(args, packet)) resolving on
 * SUBACK, publish(topic, args, { retain }) resolving on PUBACK at QoS 1 (at QoS 0 once written),
 * close(), `closed`, `ended`, and `unexpectedAnswers` (a PUBACK or SUBACK for no open packet id).
 * Topics are given in the bench's dotted form (`bench.fanout.3`) and sent with MQTT levels
 * (`bench/fanout/3`), the mapping Junction's bridge makes (docs/mqtt.md), so an MQTT subscriber
 * and a WAMP publisher meet on one topic. `#` and `+` pass as they are; a client holds one filter
 * with a wildcard at most, which gets every PUBLISH no exact filter claims.
 * Payloads are Junction's native JSON mapping, `{"args": [...]}`: the same bytes to every broker.
 * Every subscription and publication is at the target's `qos` (0 or 1); a QoS 1 PUBLISH received
 * is acknowledged at once (PUBACKs written in one go per socket read).
 * `clean: false` asks for a persistent session (the client then has `sessionPresent` from
 * CONNACK); `will: { topic, args, qos, retain }` leaves a will; drop() cuts the connection with
 * no DISCONNECT, so the will is published.
 */

const KEEPALIVE_SECONDS = 60;
// Packet ids are 16 bits and never 0.
const LAST_PACKET_ID = 0xffff;

let clientCount = 0;

export function mqttTopic(benchTopic) {
  return benchTopic.replaceAll('.', '/');
}

export function encodeArgs(args) {
  return Buffer.from(JSON.stringify({ args }));
}

export function decodeArgs(payload) {
  return JSON.parse(payload.toString('utf8')).args;
}

export function connectMqtt({ host, port, qos = 0, protocolVersion = 4, localAddress, clientId = `bench-${process.pid}-${++clientCount}`, clean = true, will }) {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host, port, noDelay: true, ...(localAddress ? { localAddress } : {}) });
    const client = new MqttClient(socket, qos, protocolVersion);
    const fail = (error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', fail);
    client.onConnack = (packet) => {
      socket.removeListener('error', fail);
      socket.on('error', () => {});
      // MQTT 3.1.1 says returnCode, MQTT 5 reasonCode (mqtt-packet leaves it out when it is 0).
      const code = packet.returnCode ?? packet.reasonCode ?? 0;
      client.sessionPresent = packet.sessionPresent === true;
      if (code !== 0) fail(new Error(`CONNACK refused the connection: code ${code}`));
      else resolve(client);
    };
    socket.once('close', () => reject(new Error('connection closed before CONNACK')));
    const lastWill = will && { topic: mqttTopic(will.topic), payload: encodeArgs(will.args), qos: will.qos ?? 0, retain: will.retain ?? false };
    socket.once('connect', () => client.send({ cmd: 'connect', protocolVersion, clientId, clean, keepalive: KEEPALIVE_SECONDS, ...(lastWill ? { will: lastWill } : {}) }));
  });
}

class MqttClient {
  constructor(socket, qos, protocolVersion) {
    this.socket = socket;
    this.qos = qos;
    this.generateOptions = { protocolVersion };
    this.parser = mqttPacket.parser(this.generateOptions);
    this.nextId = 1;
    this.pending = new Map(); // packet id -> { resolve, reject }
    this.handlers = new Map(); // MQTT topic filter -> onEvent
    this.wildcard = null; // the handler of the one filter with a wildcard (`#`, `a/#`, `a/+/b`), if any
    this.onConnack = null;
    this.unexpectedAnswers = 0;
    this.unexpectedEvents = 0; // PUBLISHes for no subscription held
    this.ended = new Promise((resolve) => socket.once('close', resolve));
    this.parser.on('packet', (packet) => this.receive(packet));
    this.parser.on('error', (error) => socket.destroy(error));
    socket.on('data', (chunk) => {
      socket.cork();
      this.parser.parse(chunk);
      socket.uncork();
    });
    socket.on('close', () => {
      clearInterval(this.pinger);
      for (const waiter of this.pending.values()) waiter.reject(new Error('connection closed'));
      this.pending.clear();
    });
    this.pinger = setInterval(() => this.send({ cmd: 'pingreq' }), (KEEPALIVE_SECONDS * 1000) / 2);
    this.pinger.unref();
  }

  send(packet) {
    this.socket.write(mqttPacket.generate(packet, this.generateOptions));
  }

  receive(packet) {
    switch (packet.cmd) {
      case 'publish': {
        if (packet.qos === 1) this.send({ cmd: 'puback', messageId: packet.messageId });
        const handler = this.handlers.get(packet.topic) ?? this.wildcard;
        if (handler) handler(decodeArgs(packet.payload), packet);
        else this.unexpectedEvents++;
        return;
      }
      case 'connack':
        this.onConnack?.(packet);
        return;
      case 'puback':
      case 'suback':
        this.answer(packet);
        return;
      case 'pingresp':
        return;
      default:
        this.socket.destroy(new Error(`unexpected ${packet.cmd} packet from the broker`));
    }
  }

  answer(packet) {
    const waiter = this.pending.get(packet.messageId);
    if (!waiter) {
      this.unexpectedAnswers++;
      return;
    }
    this.pending.delete(packet.messageId);
    const refused = packet.cmd === 'suback' && packet.granted.some((code) => code >= 0x80);
    if (refused) waiter.reject(new Error('SUBACK refused the subscription'));
    else waiter.resolve();
  }

  /** A packet id not in use (ids wrap at 16 bits). */
  packetId() {
    for (let tries = 0; tries < LAST_PACKET_ID; tries++) {
      const id = this.nextId;
      this.nextId = id === LAST_PACKET_ID ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
    throw new Error('every MQTT packet id is in use');
  }

  request(packet) {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new Error('connection closed'));
        return;
      }
      this.pending.set(packet.messageId, { resolve, reject });
      this.send(packet);
    });
  }

  async subscribe(topic, onEvent) {
    const filter = mqttTopic(topic);
    if (/[#+]/.test(filter)) {
      if (this.wildcard) throw new Error('the bench MQTT client holds one wildcard filter at most');
      this.wildcard = onEvent;
    }
    else this.handlers.set(filter, onEvent);
    await this.request({ cmd: 'subscribe', messageId: this.packetId(), subscriptions: [{ topic: filter, qos: this.qos }] });
  }

  publish(topic, args, { retain = false } = {}) {
    const packet = { cmd: 'publish', topic: mqttTopic(topic), payload: encodeArgs(args), qos: this.qos, retain, dup: false };
    if (this.qos === 0) {
      if (this.closed) return Promise.reject(new Error('connection closed'));
      return new Promise((resolve) => this.socket.write(mqttPacket.generate(packet, this.generateOptions), () => resolve()));
    }
    packet.messageId = this.packetId();
    return this.request(packet);
  }

  get closed() {
    return this.socket.destroyed || !this.socket.writable;
  }

  close() {
    if (this.closed) return;
    this.send({ cmd: 'disconnect' });
    this.socket.end();
  }

  drop() {
    this.socket.destroy();
  }
}
