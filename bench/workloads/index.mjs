import { runFanout } from './fanout.mjs';
import { runRpc } from './rpc.mjs';
import { runChat } from './chat.mjs';
import { runConnect } from './connect.mjs';
import { runMqttInbound, runMqttRetained } from './mqtt.mjs';
import { describeHttpLoad as httpLoad } from '../clients/http-publisher.mjs';

/**
 * Every workload bench/run.mjs knows: how it runs on a started system, its table's title, its
 * unit of throughput and of server CPU. `latency` workloads run after the others, at an offered
 * rate taken from them (options.rpcRate, options.fanoutRate: see run.mjs offeredRates).
 */

const KiB64 = 64 * 1024;
const MiB = 1024 * 1024;
// Large payloads: at most this much payload in transit to each subscriber, however large each
// event: half of Junction's default slow-consumer limit (max_buffered_bytes, 4 MiB), past which
// it closes the connection (a relay or Socket.IO would buffer without bound). A bench that kept
// more in transit would measure that policy, not the delivery.
const LARGE_IN_TRANSIT_BYTES = 2 * MiB;
const LARGE_SUBSCRIBERS = 10;
const LARGE_CALLERS = 4;

const fanoutUnits = { unit: 'events/s', perMessage: 'server µs/event' };
const rpcUnits = { unit: 'calls/s', perMessage: 'server µs/call' };

function largeEvents(bytes, label) {
  return {
    ...fanoutUnits,
    bytes,
    title: () => `Large events: 1 publisher -> ${LARGE_SUBSCRIBERS} subscribers, ${label} payloads, at most ${LARGE_IN_TRANSIT_BYTES / MiB} MiB in transit to each (events/s, MB/s delivered, server peak RSS)`,
    run: (server, options, workload) => runFanout(server, options, { workload, subscribers: LARGE_SUBSCRIBERS, payloadBytes: bytes, queuedBytesPerSubscriber: LARGE_IN_TRANSIT_BYTES }),
  };
}

function largeCalls(bytes, label) {
  return {
    ...rpcUnits,
    bytes,
    title: () => `Large calls: 1 callee, ${LARGE_CALLERS} callers, one call in flight each, ${label} arguments echoed (calls/s, MB/s each way, server peak RSS)`,
    run: (server, options, workload) => runRpc(server, options, { workload, payloadBytes: bytes, callers: LARGE_CALLERS }),
  };
}

// MQTT: many publishers to one subscriber; retained topics left for a subscriber to `#` joining,
// of a size that passes half of each broker's per-client limits (Junction paces the burst there).
const MQTT_INBOUND_PUBLISHERS = 50;
const MQTT_RETAINED_TOPICS = 1000;
const MQTT_RETAINED_BYTES = 2048;
const mqttUnits = { unit: 'msgs/s', perMessage: 'server µs/msg' };

function mqttFanout(qos) {
  return {
    ...fanoutUnits,
    title: (o) => `MQTT fan-out at QoS ${qos}: 1 MQTT publisher -> ${o.subscribers} MQTT subscribers on one topic (events delivered/s, publish-to-delivery latency)`,
    run: (server, options, workload) => runFanout(server, options, { workload, qos }),
  };
}

function chat(members) {
  return {
    ...fanoutUnits,
    title: (o) => `Chat room: ${members} sessions all subscribed to one topic, all publishing (each to every member, itself included), ${o.payloadBytes}-byte padding (events delivered/s)`,
    run: (server, options, workload) => runChat(server, options, { workload, members }),
  };
}

export const WORKLOADS = {
  fanout: {
    ...fanoutUnits,
    title: (o) => `Fan-out: 1 publisher -> ${o.subscribers} subscribers on one topic (events delivered/s, publish-to-delivery latency)`,
    run: (server, options) => runFanout(server, options),
  },
  rpc: {
    ...rpcUnits,
    title: (o) => `RPC: 1 callee, ${o.callers} concurrent callers, one call in flight each (calls/s, round-trip latency)`,
    run: (server, options) => runRpc(server, options),
  },
  publish: {
    unit: 'pub/s',
    perMessage: 'server µs/pub',
    title: (o) => `Publish: 1 publisher, ${o.window} publications in flight (HTTP: ${httpLoad(o)}) -> ${o.publishSubscribers} subscribers (publications/s, publish-to-delivery latency)`,
    run: (server, options) => runFanout(server, options, { workload: 'publish', subscribers: options.publishSubscribers }),
  },
  'chat-32': chat(32),
  'chat-256': chat(256),
  'many-topics': {
    ...fanoutUnits,
    title: () => '1,000 topics x 10 subscribers: 1,000 sessions with 10 subscriptions each, 1 publisher spreading publications over the topics round robin (events delivered/s)',
    run: (server, options) => runFanout(server, options, { workload: 'many-topics', subscribers: 1000, topics: 1000, perSession: 10 }),
  },
  'events-64k': largeEvents(KiB64, '64 KiB'),
  'events-1m': largeEvents(MiB, '1 MiB'),
  'calls-64k': largeCalls(KiB64, '64 KiB'),
  'calls-1m': largeCalls(MiB, '1 MiB'),
  connect: {
    unit: 'joins/s',
    perMessage: 'server µs/join',
    title: () => 'Session establishment: connect, join (WAMP) and close, 16 at a time (relay: raw WebSocket handshakes; Socket.IO: handshake + namespace CONNECT)',
    run: (server, options) => runConnect(server, options, { workload: 'connect' }),
  },
  'mqtt-fanout': mqttFanout(0),
  'mqtt-fanout-qos1': mqttFanout(1),
  'mqtt-inbound': {
    ...mqttUnits,
    title: () => `MQTT many to one: ${MQTT_INBOUND_PUBLISHERS} publishers at QoS 1, one PUBLISH awaiting its PUBACK each, -> 1 subscriber on bench/inbound/# (messages received/s, publish-to-delivery latency)`,
    run: (server, options, workload) => runMqttInbound(server, options, { workload, publishers: MQTT_INBOUND_PUBLISHERS, qos: 1 }),
  },
  'mqtt-retained': {
    ...mqttUnits,
    bytes: MQTT_RETAINED_BYTES,
    title: () => `MQTT retained: ${MQTT_RETAINED_TOPICS.toLocaleString('en-US')} retained topics of ${MQTT_RETAINED_BYTES} bytes; fresh subscribers to # join one after another at QoS 1 (retained messages received/s; latency = one join's time from SUBSCRIBE to its last retained message)`,
    run: (server, options, workload) => runMqttRetained(server, options, { workload, topics: MQTT_RETAINED_TOPICS, payloadBytes: MQTT_RETAINED_BYTES, qos: 1 }),
  },
  'mqtt-from-wamp': {
    ...fanoutUnits,
    title: (o) => `WAMP to MQTT: 1 WAMP publisher on WebSocket -> ${o.subscribers} MQTT subscribers at QoS 0 (events delivered/s, publish-to-delivery latency)`,
    run: (server, options, workload) => runFanout(server, options, { workload, publisherRole: 'wampPublisher', qos: 0 }),
  },
  'rpc-latency': {
    ...rpcUnits,
    latency: true,
    title: (o) => `RPC latency at a fixed load: ${fixedRate(o.rpcRate)} calls/s (open loop) over ${o.callers} callers; latency from each call's scheduled time`,
    run: (server, options) => runRpc(server, options, { workload: 'rpc-latency', rate: options.rpcRate }),
  },
  'fanout-latency': {
    ...fanoutUnits,
    latency: true,
    title: (o) => `Fan-out latency at a fixed load: ${fixedRate(o.fanoutRate)} publications/s (open loop) -> ${o.subscribers} subscribers; latency from each publication's scheduled time`,
    run: (server, options) => runFanout(server, options, { workload: 'fanout-latency', rate: options.fanoutRate }),
  },
};

export const WORKLOAD_NAMES = Object.keys(WORKLOADS);

function fixedRate(rate) {
  return rate === undefined ? '?' : Math.round(rate).toLocaleString('en-US');
}
