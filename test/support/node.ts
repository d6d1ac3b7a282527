import type { JunctionConfig, LongPollService, WebSocketOptions, WebSocketService } from '../../src/config/model.js';
import { loadDocument } from '../../src/config/test-support.js';
import { silentLogger, type Logger } from '../../src/router/log.js';
import { startNode, type RunningNode } from '../../src/node/node.js';

/** A Crossbar-format role (as a config file spells it) that may do everything on every URI. */
export const crossbarAnonymousEverything = {
  name: 'anonymous',
  permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true, publish: true, subscribe: true } }],
};

/**
 * The config file behind testConfig: realm1 where anonymous may do everything, one web transport
 * on 127.0.0.1 (a free port) with a WebSocket path /ws. Everything else is the schema's default.
 */
const testDocument = {
  version: 2,
  workers: [{
    type: 'router',
    realms: [{ name: 'realm1', roles: [crossbarAnonymousEverything] }],
    transports: [{
      type: 'web', id: 'test',
      endpoint: { type: 'tcp', port: 0, interface: '127.0.0.1' },
      paths: { ws: { type: 'websocket' } },
    }],
  }],
};

/** testDocument loaded as `junction start` would; `options` override the /ws path's settings. */
export function testConfig(options: Partial<WebSocketOptions> = {}): JunctionConfig {
  const config = loadDocument(testDocument);
  Object.assign(webSocketPath(config).options, options);
  return config;
}

/** The websocket service at `path` of the first listener (for tests that tune its auth or options). */
export function webSocketPath(config: JunctionConfig, path = '/ws'): WebSocketService {
  const service = config.listeners[0]!.paths[path];
  if (service?.type !== 'websocket') throw new Error(`no websocket service at ${path}`);
  return service;
}

/** A long-poll path service with the schema's defaults (every serializer, anonymous sign-in); `overrides` tunes it per test. */
export function testLongPoll(overrides: Partial<LongPollService> = {}): LongPollService {
  const config = loadDocument({
    ...testDocument,
    workers: [{ ...testDocument.workers[0]!, transports: [{ ...testDocument.workers[0]!.transports[0]!, paths: { lp: { type: 'longpoll' } } }] }],
  });
  const service = config.listeners[0]!.paths['/lp'];
  if (service?.type !== 'longpoll') throw new Error('the long-poll test document has no long-poll path');
  return { ...service, ...overrides };
}

/** Starts a node in this process; `url` is its WebSocket URL. `dataDir`: durable state (the forwarder's outbox); `log`: where it logs (default: nowhere). */
export async function startTestNode(config: JunctionConfig = testConfig(), options: { dataDir?: string; log?: Logger } = {}): Promise<RunningNode & { url: string }> {
  const node = await startNode(config, { shutdownGraceMs: 200, ...options, log: options.log ?? silentLogger });
  return Object.assign(node, { url: node.urls[0]! });
}

/** One log line a node wrote. */
export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps every line at info and above in `lines` (for tests that check what a node logs). */
export function recordingLogger(lines: LogEntry[], bindings: Record<string, unknown> = {}): Logger {
  const write = (level: LogEntry['level']) => (fields: object, msg: string) => void lines.push({ level, fields: { ...bindings, ...fields }, msg });
  return { ...silentLogger, info: write('info'), warn: write('warn'), error: write('error'), child: (more) => recordingLogger(lines, { ...bindings, ...more }) };
}
