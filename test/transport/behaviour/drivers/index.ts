import type { Codec, CodecName } from '../../../../src/codec/index.js';
import type { WireConnection } from '../wire.js';
import { LongPollConnection } from './longpoll.js';
import { RawSocketConnection } from './rawsocket.js';
import { WebSocketConnection } from './websocket.js';

/** Where a running node serves each transport. */
export interface Endpoints {
  websocket: string;
  longpoll: string;
  rawsocketPort: number;
}

/** One transport as the behavioural suite drives it: connect(endpoints, codec) -> a wire connection. */
export interface TransportDriver {
  name: string;
  codecs: readonly CodecName[];
  connect(endpoints: Endpoints, codec: Codec): Promise<WireConnection>;
}

const allCodecs: readonly CodecName[] = ['json', 'msgpack', 'cbor'];

export const drivers: readonly TransportDriver[] = [
  { name: 'websocket', codecs: allCodecs, connect: (at, codec) => WebSocketConnection.open(at.websocket, codec) },
  { name: 'longpoll', codecs: allCodecs, connect: (at, codec) => LongPollConnection.open(at.longpoll, codec, false) },
  { name: 'longpoll (batched)', codecs: allCodecs, connect: (at, codec) => LongPollConnection.open(at.longpoll, codec, true) },
  { name: 'rawsocket', codecs: allCodecs, connect: (at, codec) => RawSocketConnection.open(at.rawsocketPort, codec) },
];
