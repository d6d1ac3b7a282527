/**
 * Helpers for the config tests: the model's path table holds a union of services, so a test
 * that reads websocket settings narrows the entry first (and fails clearly when it is another type).
 */

import assert from 'node:assert/strict';
import { parseConfig } from './load.js';
import type { JunctionConfig, ListenerConfig, PathService, WebSocketService } from './model.js';
import { ConfigError, formatProblem } from './problems.js';

/** The service of `path`, which must exist and have type `type`. */
export function serviceAt<T extends PathService['type']>(
  listener: ListenerConfig | undefined,
  path: string,
  type: T,
): Extract<PathService, { type: T }> {
  assert.ok(listener, 'expected a listener');
  const service = listener.paths[path];
  assert.ok(service, `expected a service at ${path}`);
  assert.equal(service.type, type, `expected a ${type} service at ${path}`);
  return service as Extract<PathService, { type: T }>;
}

export function websocketAt(listener: ListenerConfig | undefined, path: string): WebSocketService {
  return serviceAt(listener, path, 'websocket');
}

/** A realm with the given role names, each allowed everything (enough for reference checks). */
export function realmWithRoles(name: string, roles: readonly string[], options?: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    ...(options === undefined ? {} : { options }),
    roles: roles.map((role) => ({ name: role, permissions: [{ uri: '*', allow: { call: true, register: true, publish: true, subscribe: true } }] })),
  };
}

/**
 * A whole file: one router worker with realm "realm1" (roles anonymous, backend) unless
 * `router` replaces its keys, plus any `extraWorkers`.
 */
export function configDocument(router: Record<string, unknown>, extraWorkers: unknown[] = []): Record<string, unknown> {
  return {
    version: 2,
    workers: [
      {
        type: 'router',
        realms: [realmWithRoles('realm1', ['anonymous', 'backend'])],
        transports: [{ type: 'websocket', endpoint: { type: 'tcp', port: 0 } }],
        ...router,
      },
      ...extraWorkers,
    ],
  };
}

/** A file whose only transport is a web transport with these paths (and web options, when given). */
export function webDocument(paths: Record<string, unknown>, options?: Record<string, unknown>): Record<string, unknown> {
  return configDocument({
    transports: [{ type: 'web', endpoint: { type: 'tcp', port: 0 }, paths, ...(options === undefined ? {} : { options }) }],
  });
}

/** The model of a websocket path that sets nothing: what the loader must give (spelled out here, not taken from the schema). */
export const websocketDefaults = {
  type: 'websocket',
  serializers: ['json', 'msgpack', 'cbor'],
  options: {
    maxMessageSize: 1048576,
    autoPingInterval: 25000,
    autoPingTimeout: 10000,
    openHandshakeTimeout: 10000,
    allowedOrigins: ['*'],
    allowNullOrigin: true,
    compression: false,
    maxBufferedBytes: 4194304,
    maxPerAddress: 1000,
  },
  auth: { anonymous: { type: 'static', role: 'anonymous' } },
};

export const testBaseDir = '/srv/junction';

/** Loads a document as the loader would a file in testBaseDir, with `env` as the environment. */
export function loadDocument(document: unknown, env: Record<string, string> = {}): JunctionConfig {
  return parseConfig(document, { source: 'test', env, baseDir: testBaseDir });
}

/** The problem lines of a document that must be rejected, without the "test: " source prefix. */
export function problemsOf(document: unknown, env: Record<string, string> = {}): string[] {
  try {
    loadDocument(document, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => formatProblem('test', problem).slice('test: '.length));
    throw error;
  }
  assert.fail('expected the configuration to be rejected');
}

/** The model's name-keyed records have no prototype; a JSON round trip makes them comparable with literals. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
