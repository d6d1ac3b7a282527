/**
 * Facts of the Pusher Channels protocol, version 7, as pusher-js and the server SDKs use it:
 * close codes, error codes, channel kinds and names, and the frames' JSON shape.
 */

/** The protocol version served; pusher-js 7 and 8 ask for it with `?protocol=7`. */
export const PROTOCOL_VERSION = 7;

/**
 * Close codes (4000-4099: do not reconnect; 4100-4199: reconnect after a back-off; 4200-4299:
 * reconnect at once). pusher-js maps them to exactly these reactions.
 */
export const CloseCode = {
  /** The app key in the path is not configured. */
  unknownApp: 4001,
  /** The path is not /app/{key}. */
  pathNotFound: 4005,
  /** `protocol` is not a number. */
  invalidVersion: 4006,
  /** `protocol` is a version we do not speak. */
  unsupportedVersion: 4007,
  /** No `protocol` parameter. */
  noVersion: 4008,
  /** The transport's connection limit, the client address's share of it, or the realm refused the session. */
  overCapacity: 4100,
  /** A new connection while the node stops: pusher-js tries again after its back-off (1 s), not at once against a node on its way out. */
  stopping: 4100,
  /**
   * The router ended the connection's session (meta API kill; the node's stop, or the connection
   * still open when its ports close): pusher-js reconnects at once, perhaps to another node behind
   * the load balancer (one that reaches this stopping node again gets `stopping`).
   */
  reconnect: 4200,
  /** The client was silent past the activity timeout and did not answer our ping. */
  pongNotReceived: 4201,
  /** A POST /users/{id}/terminate_connections ended this user's connections. */
  terminated: 4009,
} as const;

/**
 * Codes of `pusher:error` frames that leave the connection open. 4009 and 4301 are Pusher's;
 * the others are Junction's, in the 4300 range that the protocol keeps for errors that do not close.
 */
export const ErrorCode = {
  /** A private or presence subscription's, or a sign-in's, signature does not verify. */
  unauthorized: 4009,
  /** Not a JSON object with a string `event`, or a known event with malformed data. */
  badMessage: 4300,
  /** More client events than the rate limit allows. */
  rateLimited: 4301,
  /** An event's data is larger than max_event_size. */
  eventTooLarge: 4302,
  /** The connection already holds max_channels_per_connection channels. */
  tooManyChannels: 4303,
  /** The channel name is not a Pusher channel name, or its topic is not one the realm accepts. */
  invalidChannel: 4304,
  /** A client event that is not allowed: client events off for the app, a public channel, not subscribed. */
  clientEventRefused: 4305,
  /** The realm refused an action of the app's role (not authorized, limit reached). */
  routerRefused: 4306,
  /** A presence member's user_id (or a sign-in's user id) is longer than max_user_id_length, or its user_info larger than max_user_info_size. */
  memberTooLarge: 4307,
  /** The presence channel already has max_presence_members members. */
  presenceFull: 4308,
} as const;

export type ChannelKind = 'public' | 'private' | 'presence' | 'encrypted';

/** private-encrypted- before private-: it starts with both. */
export function channelKind(channel: string): ChannelKind {
  if (channel.startsWith('private-encrypted-')) return 'encrypted';
  if (channel.startsWith('private-')) return 'private';
  if (channel.startsWith('presence-')) return 'presence';
  return 'public';
}

/** Channels that need a signature from the app's auth endpoint. */
export function needsAuth(kind: ChannelKind): boolean {
  return kind !== 'public';
}

/** Pusher's channel name rule: 1 to 200 of these characters. */
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]{1,200}$/;

/** The channel pusher-js subscribes to after pusher:signin, to receive events sent to its user. */
export const USER_CHANNEL_PREFIX = '#server-to-user-';

/** Why a channel name is not one, or undefined. */
export function channelNameProblem(channel: unknown): string | undefined {
  if (typeof channel !== 'string' || channel === '') return 'the channel name must be a non-empty string';
  if (channel.startsWith(USER_CHANNEL_PREFIX)) return 'events to users (sendToUser, #server-to-user-<id>) are not supported by Junction: send to a channel the user subscribes to';
  if (!CHANNEL_NAME.test(channel)) {
    return `"${channel.slice(0, 60)}" is not a channel name: use 1 to 200 letters, digits and "_-=@,.;"`;
  }
  return undefined;
}

/** A frame as it travels: `data` is a string (JSON text) from the server, an object or string from clients. */
export interface PusherFrame {
  event: string;
  channel?: string;
  data?: unknown;
  user_id?: string;
}

/** Reads a client frame; a string saying what is wrong when it is not one. */
export function parseFrame(text: string): PusherFrame | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the message is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the message is not a JSON object';
  const frame = value as Record<string, unknown>;
  if (typeof frame.event !== 'string' || frame.event === '') return 'the message has no "event" string';
  if (frame.channel !== undefined && typeof frame.channel !== 'string') return '"channel" must be a string';
  return frame as unknown as PusherFrame;
}

/** A server frame. Pusher sends `data` as JSON text, even for objects. */
export function frame(event: string, data: unknown, channel?: string, userId?: string): string {
  const message: PusherFrame = { event };
  if (channel !== undefined) message.channel = channel;
  message.data = typeof data === 'string' ? data : JSON.stringify(data);
  if (userId !== undefined) message.user_id = userId;
  return JSON.stringify(message);
}

export function errorFrame(code: number | null, message: string): string {
  // pusher:error carries its data as an object, not as JSON text.
  return JSON.stringify({ event: 'pusher:error', data: { code, message } });
}
