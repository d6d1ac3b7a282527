/**
 * junction/client for Node (and any bundler that resolves it): all three serializers, the
 * platform WebSocket when there is one and `ws` otherwise.
 */
import { allCodecs, cborCodec, jsonCodec, msgpackCodec } from '../codec/index.js';
import { connectWith, type ConnectOptions } from './connect.js';
import type { Session } from './session.js';
import { nodeTransport } from './transports/node.js';

export * from './public.js';
export { jsonCodec, msgpackCodec, cborCodec };
/** The salted WAMP-CRA key, as AutobahnJS's auth_cra.derive_key computes it. */
export { deriveKey } from './auth/wampcra.js';

/** Connects to a router and joins a realm; see ConnectOptions. */
export function connect(options: ConnectOptions): Promise<Session> {
  return connectWith({ transport: nodeTransport, codecs: allCodecs }, options);
}
