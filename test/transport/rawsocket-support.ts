import type { EndpointConfig, JunctionConfig, ListenerConfig, RawSocketService } from '../../src/config/model.js';

/** RawSocket settings as the config loader fills them in by default (keepalive off unless asked). */
export function rawSocketSettings(overrides: Partial<RawSocketService> = {}): RawSocketService {
  return {
    serializers: ['json', 'msgpack', 'cbor'],
    maxMessageSize: 1_048_576,
    maxConnections: 10_000,
    maxPerAddress: 1_000,
    autoPingInterval: 0,
    autoPingTimeout: 10_000,
    openHandshakeTimeout: 10_000,
    maxBufferedBytes: 4_194_304,
    auth: { anonymous: { type: 'static', role: 'anonymous' } },
    ...overrides,
  };
}

/** Adds a `rawsocket` listener (TCP on 127.0.0.1 and a free port unless `endpoint` says otherwise). */
export function addRawSocketListener(
  config: JunctionConfig,
  id: string,
  overrides: Partial<RawSocketService> = {},
  endpoint: Partial<EndpointConfig> = {},
): ListenerConfig {
  const listener: ListenerConfig = {
    id, kind: 'rawsocket',
    endpoint: { port: 0, interface: '127.0.0.1', ...endpoint },
    paths: {},
    rawsocket: rawSocketSettings(overrides),
    trustedProxies: [],
  };
  config.listeners.push(listener);
  return listener;
}
