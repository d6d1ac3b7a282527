/**
 * Helpers for the config tests: the model's path table holds a union of services, so a test
 * that reads websocket settings narrows the entry first (and fails clearly when it is another type).
 */

import assert from 'node:assert/strict';
import { parseConfig } from './load.js';
import type { ComponentConfig, JunctionConfig, ListenerConfig, PathService, WebSocketService } from './model.js';
import { ConfigError } from './problems.js';

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

export const testBaseDir = '/srv/junction';

/** Loads a document as the loader would a file in testBaseDir, with `env` as the environment. */
export function loadDocument(document: unknown, env: Record<string, string> = {}): JunctionConfig {
  return parseConfig(document, { source: 'test', env, baseDir: testBaseDir });
}

/**
 * The model of a websocket path that sets nothing: the schema's defaults, as the loader fills them
 * in (schema-defaults.test.ts checks them against the published schema; they are not restated here).
 */
export function websocketDefaults(): WebSocketService {
  return plain(websocketAt(loadDocument(configDocument({})).listeners[0], '/'));
}

/** The model of a path service whose file gives only `service` (its other keys: the schema's defaults, as the loader fills them in). */
export function pathServiceModel<T extends PathService['type']>(service: Record<string, unknown> & { type: T }): Extract<PathService, { type: T }> {
  return plain(serviceAt(loadDocument(webDocument({ x: service })).listeners[0], '/x', service.type));
}

/** The model of the one component of a file that gives only `component`. */
export function componentModel(component: Record<string, unknown>): ComponentConfig {
  return plain(loadDocument(configDocument({ components: [component] })).components[0]!);
}

/**
 * The problem lines of a document that must be rejected, without the "test: " source prefix and
 * without their codes (codes.test.ts checks which problem gets which code).
 */
export function problemsOf(document: unknown, env: Record<string, string> = {}): string[] {
  return problemLinesOf(() => loadDocument(document, env)).map((line) => line.slice('test: '.length));
}

/** The problem lines `load` throws, without their trailing ` [code]`; fails the test when it loads. */
export function problemLinesOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n').map(withoutCode);
    throw error;
  }
  assert.fail('expected the configuration to be rejected');
}

export function withoutCode(line: string): string {
  return line.replace(/ \[config\.[a-z0-9_.]+\]$/, '');
}

/** The model's name-keyed records have no prototype; a JSON round trip makes them comparable with literals. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
