import type { JunctionConfig, LongPollService, WebSocketOptions, WebSocketService } from '../../src/config/model.js';
import { DEFAULT_MAX_NESTING_DEPTH } from '../../src/codec/nesting.js';
import { defaultRealmLimits } from '../../src/config/schema-router.js';
import { silentLogger } from '../../src/router/log.js';
import { startNode, type RunningNode } from '../../src/node/node.js';

export const defaultWebSocketOptions: WebSocketOptions = {
  maxMessageSize: 1_048_576,
  autoPingInterval: 25_000,
  autoPingTimeout: 10_000,
  openHandshakeTimeout: 10_000,
  allowedOrigins: ['*'],
  allowNullOrigin: true,
  compression: false,
  maxBufferedBytes: 4_194_304,
  maxPerAddress: 1_000,
};

/** A Crossbar-format role (as a config file spells it) that may do everything on every URI. */
export const crossbarAnonymousEverything = {
  name: 'anonymous',
  permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }],
};

/** realm1 where anonymous may do everything, one WebSocket path /ws on 127.0.0.1 and a free port. */
export function testConfig(options: Partial<WebSocketOptions> = {}): JunctionConfig {
  return {
    realms: [{
      name: 'realm1',
      roles: [{
        name: 'anonymous',
        permissions: [{
          uri: '', match: 'prefix', cache: true,
          allow: { call: true, register: true, publish: true, subscribe: true },
          disclose: { caller: false, publisher: false },
        }],
      }],
      options: { enableMetaApi: true, uriCheck: 'loose', limits: defaultRealmLimits },
      store: { eventHistory: [] },
    }],
    listeners: [{
      id: 'test', kind: 'web',
      endpoint: { port: 0, interface: '127.0.0.1' },
      paths: {
        '/ws': {
          type: 'websocket', serializers: ['json', 'msgpack', 'cbor'],
          options: { ...defaultWebSocketOptions, ...options },
          auth: { anonymous: { type: 'static', role: 'anonymous' } },
        },
      },
      trustedProxies: [],
    }],
    components: [],
    notices: [],
    signIn: {
      failureBudget: 5, forgiveAfterMs: 60_000, spacingMs: 1_000, maxWaitMs: 5_000,
      challengeTimeoutMs: 60_000, dynamicTimeoutMs: 10_000,
    },
    maxNestingDepth: DEFAULT_MAX_NESTING_DEPTH,
  };
}

/** The websocket service at `path` of the first listener (for tests that tune its auth or options). */
export function webSocketPath(config: JunctionConfig, path = '/ws'): WebSocketService {
  const service = config.listeners[0]!.paths[path];
  if (service?.type !== 'websocket') throw new Error(`no websocket service at ${path}`);
  return service;
}

/** A long-poll path service with the config defaults, every serializer and anonymous sign-in; `overrides` tunes it per test. */
export function testLongPoll(overrides: Partial<LongPollService> = {}): LongPollService {
  return {
    type: 'longpoll',
    serializers: ['json', 'msgpack', 'cbor'],
    requestTimeoutMs: 10_000,
    sessionTimeoutMs: 30_000,
    queueLimitBytes: 131_072,
    queueLimitMessages: 100,
    maxMessageSize: 1_048_576,
    maxTransports: 10_000,
    maxPerAddress: 100,
    auth: { anonymous: { type: 'static', role: 'anonymous' } },
    ...overrides,
  };
}

/** Starts a node in this process; `url` is its WebSocket URL. `dataDir`: durable state (the forwarder's outbox). */
export async function startTestNode(config: JunctionConfig = testConfig(), options: { dataDir?: string } = {}): Promise<RunningNode & { url: string }> {
  const node = await startNode(config, { log: silentLogger, shutdownGraceMs: 200, ...options });
  return Object.assign(node, { url: node.urls[0]! });
}
