/**
 * One event of a realm's history as the history file stores it: key (uri, match, publication),
 * value the kept event (CopiedEvent) in MessagePack. Reading checks every field: an entry that is
 * not what Junction wrote (a damaged file, another program's) is refused with the reason.
 */

import { msgpackCodec } from '../../codec/msgpack.js';
import type { Dict } from '../../protocol/messages.js';
import { matchPolicies, type MatchPolicy } from '../../protocol/uri.js';
import { receiverListKeys, type CopiedEvent } from '../../router/broker/event-history.js';

export type HistoryKey = [uri: string, match: MatchPolicy, publication: number];

export function encodeEntry(event: CopiedEvent): Uint8Array {
  return msgpackCodec.encode([event]) as Uint8Array;
}

/** The history (uri, match) and the event stored under `key`, or why they cannot be read. */
export function decodeEntry(key: unknown, value: Uint8Array): { uri: string; match: MatchPolicy; event: CopiedEvent } | string {
  if (!Array.isArray(key) || key.length !== 3 || typeof key[0] !== 'string' || !matchPolicies.includes(key[1] as MatchPolicy) || !Number.isSafeInteger(key[2])) {
    return 'its key is not (uri, match, publication)';
  }
  let decoded: unknown;
  try {
    decoded = msgpackCodec.decode(value);
  } catch (error) {
    return `its value is not MessagePack (${(error as Error).message})`;
  }
  const copy = Array.isArray(decoded) && decoded.length === 1 ? decoded[0] : undefined;
  const problem = copiedEventProblem(copy, key[2] as number);
  return problem ?? { uri: key[0], match: key[1] as MatchPolicy, event: copy as CopiedEvent };
}

function copiedEventProblem(copy: unknown, publication: number): string | undefined {
  if (!isDict(copy)) return 'its value is not an event';
  const { event, time, topic, receivers, position } = copy;
  if (!isDict(event)) return 'it has no event';
  if (event.publication !== publication) return 'its publication differs from its key';
  if (typeof event.timestamp !== 'string' || !Number.isSafeInteger(event.subscription) || !isDict(event.details)) {
    return 'its event lacks timestamp, subscription or details';
  }
  if (event.args !== undefined && !Array.isArray(event.args)) return 'its args are not a list';
  if (event.kwargs !== undefined && !isDict(event.kwargs)) return 'its kwargs are not a dict';
  if (typeof time !== 'number' || !Number.isFinite(time) || typeof topic !== 'string') return 'its time or topic is missing';
  if (receivers !== undefined && !(isDict(receivers) && Object.entries(receivers).every(([name, list]) =>
    (receiverListKeys as readonly string[]).includes(name) && Array.isArray(list) && list.every((item) => typeof item === 'string')))) {
    return 'its receiver lists are not lists of authids and authroles';
  }
  if (position !== undefined && !(isDict(position) && typeof position.source === 'string' && Number.isSafeInteger(position.seq))) {
    return 'its position is not (source, seq)';
  }
  return undefined;
}

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
