import { jsonCodec } from '../../codec/json.js';
import { EncodeError } from '../../protocol/envelope.js';
import type { Args, Dict } from '../../protocol/messages.js';

/**
 * The text/event-stream wire format (WHATWG HTML, "Server-sent events"): fields are
 * `name: value` lines, a blank line ends a message, a line starting with ":" is a comment.
 * A field value must not hold CR or LF (they end the line), so every value is checked here.
 */

/** One SSE message as Junction sends it: a WAMP event. */
export interface SseMessage {
  /** Where the stream stands (sse-resume-point.ts): what the browser sends back as Last-Event-ID. */
  id: string;
  /** The topic: a browser listens with addEventListener(topic, ...). */
  event: string;
  /** One line of JSON. */
  data: string;
}

const lineBreak = /[\r\n]/;

function field(name: string, value: string): string {
  if (lineBreak.test(value)) throw new Error(`an SSE ${name} field cannot hold a line break`);
  return `${name}: ${value}\n`;
}

export function formatMessage(message: SseMessage): string {
  return field('id', message.id) + field('event', message.event) + field('data', message.data) + '\n';
}

/** A message that is not a WAMP event (no id, so Last-Event-ID stays where it was): Junction's own notices. */
export function formatNotice(event: string, data: Dict): string {
  return field('event', event) + field('data', JSON.stringify(data)) + '\n';
}

/**
 * A live event's whole SSE message as bytes. One EVENT object goes to every stream of its
 * subscription, all with the same topic and, in the one synchronous pass that hands it out, the
 * same `id`: the message is formatted and converted to bytes once and the same buffer written to
 * each stream, not built and re-encoded per stream.
 */
export function eventMessage<E extends EventPayload>(event: E, topic: string, idOf: (event: E) => string): Buffer {
  const made = messageOfEvent.get(event);
  if (made?.topic === topic) return made.bytes;
  const bytes = Buffer.from(formatMessage({ id: idOf(event), event: topic, data: eventData(event) }), 'utf8');
  messageOfEvent.set(event, { topic, bytes });
  return bytes;
}

const messageOfEvent = new WeakMap<EventPayload, { topic: string; bytes: Buffer }>();

/** A comment: ignored by EventSource, but it keeps proxies from timing the stream out and tells a reader with curl what happened. */
export function formatComment(text: string): string {
  return text.split(/\r\n|\r|\n/).map((line) => `: ${line}\n`).join('') + '\n';
}

/** How long a disconnected EventSource waits before it reconnects. */
export function formatRetry(ms: number): string {
  return field('retry', String(Math.max(0, Math.floor(ms)))) + '\n';
}

/** What an event carries: its payload, or the opaque passthru payload with its scheme. */
export interface EventPayload {
  args?: Args;
  kwargs?: Dict;
  /** Payload passthru: opaque bytes in place of args/kwargs. */
  payload?: Uint8Array;
  details: Dict;
}

const passthruKeys = ['ppt_scheme', 'ppt_serializer', 'ppt_cipher', 'ppt_keyid'] as const;

/**
 * The `data` line: `{"args": [...], "kwargs": {...}}` (both always present, so a reader needs no
 * checks), or `{"payload": ..., "ppt_scheme": ...}` for a passthru event. Bytes follow WAMP's JSON
 * binary convention (a string of NUL + base64), encoded by the json codec itself; JSON escapes
 * every line break inside strings, so the result is always one line.
 */
export function eventData(event: EventPayload): string {
  // One EVENT object goes to every stream of its subscription (messages are never modified):
  // its JSON is made once, not once per stream; so is a failure (EncodeError, the event is not sent).
  let data = dataOfEvent.get(event);
  if (data === undefined) {
    try {
      data = encodeEventData(event);
    } catch (error) {
      data = new EncodeError('EVENT', 'json', error);
    }
    dataOfEvent.set(event, data);
  }
  if (data instanceof EncodeError) throw data;
  return data;
}

const dataOfEvent = new WeakMap<EventPayload, string | EncodeError>();

function encodeEventData(event: EventPayload): string {
  let body: Dict;
  if (event.payload !== undefined) {
    body = { payload: event.payload };
    for (const key of passthruKeys) if (event.details[key] !== undefined) body[key] = event.details[key];
  } else {
    body = { args: event.args ?? [], kwargs: event.kwargs ?? {} };
  }
  // The codec encodes wire arrays: a one-element array is "[" + the element's JSON + "]".
  const wrapped = jsonCodec.encode([body]) as string;
  return wrapped.slice(1, -1);
}
