import type { Codec, CodecName } from '../../../../src/codec/index.js';
import type { WireConnection } from '../wire.js';
import { LongPollConnection } from './longpoll.js';
import { MqttWireConnection } from './mqtt.js';
import { RawSocketConnection } from './rawsocket.js';
import { WebSocketConnection } from './websocket.js';

/** Where a running node serves each transport. */
export interface Endpoints {
  websocket: string;
  longpoll: string;
  rawsocketPort: number;
  /** An mqtt transport per codec: its native payload mapping is in that codec. */
  mqttPorts: Record<CodecName, number>;
}

/** One transport as the behavioural suite drives it: connect(endpoints, codec) -> a wire connection. */
export interface TransportDriver {
  name: string;
  codecs: readonly CodecName[];
  /** False for a door that has no RPC (MQTT): the suite runs its pub/sub tests only. */
  rpc: boolean;
  connect(endpoints: Endpoints, codec: Codec): Promise<WireConnection>;
}

const allCodecs: readonly CodecName[] = ['json', 'msgpack', 'cbor'];

export const drivers: readonly TransportDriver[] = [
  { name: 'websocket', codecs: allCodecs, rpc: true, connect: (at, codec) => WebSocketConnection.open(at.websocket, codec) },
  { name: 'longpoll', codecs: allCodecs, rpc: true, connect: (at, codec) => LongPollConnection.open(at.longpoll, codec, false) },
  { name: 'longpoll (batched)', codecs: allCodecs, rpc: true, connect: (at, codec) => LongPollConnection.open(at.longpoll, codec, true) },
  { name: 'rawsocket', codecs: allCodecs, rpc: true, connect: (at, codec) => RawSocketConnection.open(at.rawsocketPort, codec) },
  { name: 'mqtt', codecs: allCodecs, rpc: false, connect: (at, codec) => MqttWireConnection.open(at.mqttPorts[codec.name as CodecName], codec) },
];
