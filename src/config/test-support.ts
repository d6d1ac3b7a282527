/**
 * Helpers for the config tests: the model's path table holds a union of services, so a test
 * that reads websocket settings narrows the entry first (and fails clearly when it is another type).
 */

import assert from 'node:assert/strict';
import type { ListenerConfig, PathService, WebSocketService } from './model.js';

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
