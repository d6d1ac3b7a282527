/**
 * WAMP v1 (2012) messages, from the v1 specification's message table. Every message is a JSON
 * array whose first element is its type.
 *
 *   WELCOME      [0, sessionId, protocolVersion, serverIdent]       server -> client, on open
 *   PREFIX       [1, prefix, uri]                                   client -> server
 *   CALL         [2, callId, procUri, arg...]                       client -> server
 *   CALLRESULT   [3, callId, result]                                server -> client
 *   CALLERROR    [4, callId, errorUri, errorDesc, errorDetails?]    server -> client
 *   SUBSCRIBE    [5, topicUri]                                      client -> server
 *   UNSUBSCRIBE  [6, topicUri]                                      client -> server
 *   PUBLISH      [7, topicUri, event, excludeMe | exclude, eligible?] client -> server
 *   EVENT        [8, topicUri, event]                               server -> client
 */

import { DEFAULT_MAX_NESTING_DEPTH, nestsDeeperThan, tooDeepMessage } from '../../codec/nesting.js';

export const Wamp1Type = {
  WELCOME: 0,
  PREFIX: 1,
  CALL: 2,
  CALLRESULT: 3,
  CALLERROR: 4,
  SUBSCRIBE: 5,
  UNSUBSCRIBE: 6,
  PUBLISH: 7,
  EVENT: 8,
} as const;

/** The WebSocket subprotocol a v1 client offers. */
export const WAMP1_SUBPROTOCOL = 'wamp';

export type Wamp1ClientMessage =
  | { type: typeof Wamp1Type.PREFIX; prefix: string; uri: string }
  | { type: typeof Wamp1Type.CALL; callId: string; procedure: string; args: unknown[] }
  | { type: typeof Wamp1Type.SUBSCRIBE; topic: string }
  | { type: typeof Wamp1Type.UNSUBSCRIBE; topic: string }
  | { type: typeof Wamp1Type.PUBLISH; topic: string; event: unknown; excludeMe?: boolean; exclude?: string[]; eligible?: string[] };

/** A message that breaks the v1 protocol: the connection is closed with this reason. */
export class Wamp1ProtocolError extends Error {}

/** Parses one text frame from a v1 client; throws Wamp1ProtocolError saying what is wrong. */
export function parseWamp1(text: string, maxNestingDepth = DEFAULT_MAX_NESTING_DEPTH): Wamp1ClientMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Wamp1ProtocolError('a WAMP v1 message is a JSON array; this frame is not JSON');
  }
  // v1 has no binary convention, so not the v2 JSON codec: plain JSON, held to the same nesting limit.
  if (nestsDeeperThan(value, maxNestingDepth, text.length / 2)) throw new Wamp1ProtocolError(tooDeepMessage(maxNestingDepth));
  if (!Array.isArray(value) || value.length === 0) throw new Wamp1ProtocolError('a WAMP v1 message is a non-empty JSON array');
  const [type, ...rest] = value as unknown[];
  const text1 = (index: number, what: string): string => {
    const found = rest[index];
    if (typeof found !== 'string' || found === '') throw new Wamp1ProtocolError(`${name(type)}: ${what} must be a non-empty string`);
    return found;
  };
  switch (type) {
    case Wamp1Type.PREFIX:
      return { type, prefix: text1(0, 'the prefix'), uri: text1(1, 'the URI') };
    case Wamp1Type.CALL:
      return { type, callId: text1(0, 'the call ID'), procedure: text1(1, 'the procedure URI'), args: rest.slice(2) };
    case Wamp1Type.SUBSCRIBE:
    case Wamp1Type.UNSUBSCRIBE:
      return { type, topic: text1(0, 'the topic URI') };
    case Wamp1Type.PUBLISH: {
      const topic = text1(0, 'the topic URI');
      if (rest.length < 2) throw new Wamp1ProtocolError('PUBLISH: the event is missing');
      const event = rest[1];
      const fourth = rest[2];
      if (fourth === undefined) return { type, topic, event };
      if (typeof fourth === 'boolean') return { type, topic, event, excludeMe: fourth };
      const exclude = sessionList(fourth, 'exclude');
      const eligible = rest[3] === undefined ? undefined : sessionList(rest[3], 'eligible');
      return { type, topic, event, exclude, ...(eligible === undefined ? {} : { eligible }) };
    }
    default:
      throw new Wamp1ProtocolError(`unknown or server-only WAMP v1 message type ${JSON.stringify(type)}`);
  }
}

function sessionList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new Wamp1ProtocolError(`PUBLISH: ${what} must be a list of session IDs (strings)`);
  }
  return value as string[];
}

function name(type: unknown): string {
  const found = Object.entries(Wamp1Type).find(([, code]) => code === type);
  return found ? found[0] : String(type);
}
