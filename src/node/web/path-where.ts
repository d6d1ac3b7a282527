import type { ListenerConfig } from '../../config/model.js';

/** How logs and errors name a path service: `transport "web1" path "/api"` (a standalone websocket transport: its name alone). */
export function pathWhere(listener: ListenerConfig, path: string): string {
  return listener.kind === 'websocket' ? `transport "${listener.id}"` : `transport "${listener.id}" path "${path}"`;
}
