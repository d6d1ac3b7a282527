/**
 * A session's door as the Sessions view shows it: the transport and its serializer, then what tells
 * one door of that kind from another (the WebSocket path, an MQTT client ID, a Pusher app), as
 * junction.session.list gives them in transport.extra.
 */
import { visible } from './shown-text.js';

export interface SessionTransport {
  type: string;
  serializer: string;
  extra?: Record<string, unknown>;
}

export function transportText({ type, serializer, extra }: SessionTransport): string {
  // MQTT and the router's own bridges carry no WAMP serializer: "none" would only puzzle.
  const parts = [serializer === 'none' ? type : `${type} / ${serializer}`];
  if (typeof extra?.path === 'string') parts.push(extra.path);
  if (typeof extra?.client_id === 'string') parts.push(`client ${extra.client_id}`);
  if (typeof extra?.app === 'string') parts.push(`app ${extra.app}`);
  return visible(parts.join(' · '));
}
