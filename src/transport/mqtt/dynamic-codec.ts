/**
 * Crossbar's `dynamic` payload mapping: WAMP procedures turn MQTT payloads into publications and
 * events into MQTT payloads. As in Crossbar they are called by the router's own trusted session
 * of the format's realm (not as the MQTT client: a device needs no permission to call them, and
 * what it may publish or subscribe is still authorized on its own session), with Crossbar's arguments:
 *
 * - decoder(WAMP topic, MQTT topic, payload bytes) -> {"args": [...] | null, "kwargs": {...} | null}
 * - encoder(MQTT topic, WAMP topic, args | null, kwargs | null) -> payload: bytes, or a string sent as UTF-8
 *   (null: the event has none; empty kwargs are none too, as WAMP reads them)
 *
 * Every call has a timeout (the router cancels it) and the calls in flight for the transport are
 * bounded; a call that fails is counted by direction and reason and logged at most every 10 s.
 */

import type { ProcedureCaller } from '../../auth/caller.js';
import { trustedRole } from '../../auth/caller.js';
import { ErrorUri } from '../../protocol/errors.js';
import type { Args, Dict } from '../../protocol/messages.js';
import type { Logger } from '../../router/log.js';
import { WarningThrottle } from '../../router/limits/warning-throttle.js';
import { InternalCallError } from '../../router/internal-session.js';
import { readNative, type DynamicFormat, type WampPayload } from './payload-mapping.js';

/** Why a codec call gave no payload: the metric's `reason`. */
export type CodecFailureReason = 'error' | 'timeout' | 'result' | 'limit';

/** An encoder or decoder gave no usable answer: the message is refused (publication) or dropped (event). */
export class CodecFailure extends Error {
  constructor(readonly reason: CodecFailureReason, message: string) {
    super(message);
  }
}

export interface CodecCounters {
  failures: { inc(labels: { direction: 'decode' | 'encode'; reason: CodecFailureReason }): void };
  inFlight: { set(value: number): void };
}

const utf8 = new TextEncoder();

/** A call's failure as the metric and the log name it. */
function failureOf(error: unknown, procedure: string): CodecFailure {
  if (error instanceof CodecFailure) return error;
  if (error instanceof InternalCallError && (error.uri === ErrorUri.timeout || error.uri === ErrorUri.canceled)) {
    return new CodecFailure('timeout', `${procedure} did not answer in time`);
  }
  const why = error instanceof Error ? error.message : String(error);
  return new CodecFailure('error', `${procedure} failed: ${why}`);
}

/** The single value a procedure returned (autobahn sends a return value as args = [value]). */
function returned(procedure: string, outcome: { args: Args; kwargs: Dict }): unknown {
  if (outcome.args.length !== 1 || Object.keys(outcome.kwargs).length > 0) {
    throw new CodecFailure('result', `${procedure} must return one value, not ${outcome.args.length} arguments${Object.keys(outcome.kwargs).length > 0 ? ' and kwargs' : ''}`);
  }
  return outcome.args[0];
}

/** The decoder's answer as a publication; Crossbar's null args/kwargs mean none. */
function publicationOf(procedure: string, value: unknown): WampPayload {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    throw new CodecFailure('result', `${procedure} must return {"args": [...], "kwargs": {...}}`);
  }
  const present = Object.fromEntries(Object.entries(value as Dict).filter(([, part]) => part !== null));
  try {
    return readNative(present, 'decoder');
  } catch (error) {
    throw new CodecFailure('result', `${procedure}: ${(error as Error).message}`);
  }
}

function payloadOf(procedure: string, value: unknown): Uint8Array {
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return utf8.encode(value);
  throw new CodecFailure('result', `${procedure} must return bytes or a string, not ${value === null ? 'null' : typeof value}`);
}

/** One transport's calls to its encoders and decoders. */
export class DynamicCodecs {
  private inFlight = 0;
  private readonly warnings = new WarningThrottle();
  /** An event goes to many clients: it is encoded once (Crossbar caches it on the message too). */
  private readonly encoded = new WeakMap<object, { kwargs: Dict | undefined; payload: Promise<Uint8Array> }>();

  constructor(
    private readonly caller: ProcedureCaller,
    private readonly maxCalls: number,
    private readonly counters: CodecCounters,
    private readonly log: Logger,
  ) {}

  /** An MQTT publication's payload as WAMP args/kwargs; rejects with a CodecFailure. */
  decode(format: DynamicFormat, uri: string, topic: string, payload: Uint8Array): Promise<WampPayload> {
    return this.call('decode', format, format.decoder, [uri, topic, payload], (value) => publicationOf(format.decoder, value));
  }

  /** An event's payload for MQTT, made once per event (its args, or its kwargs when it has none). */
  encode(format: DynamicFormat, uri: string, topic: string, args: Args | undefined, kwargs: Dict | undefined): Promise<Uint8Array> {
    const key = args ?? kwargs;
    const known = key === undefined ? undefined : this.encoded.get(key);
    if (known !== undefined && known.kwargs === kwargs) return known.payload;
    const noKwargs = kwargs === undefined || Object.keys(kwargs).length === 0;
    const payload = this.call('encode', format, format.encoder, [topic, uri, args ?? null, noKwargs ? null : kwargs], (value) => payloadOf(format.encoder, value));
    if (key !== undefined) this.encoded.set(key, { kwargs, payload });
    return payload;
  }

  /** A message refused or dropped because one connection's waiting codec work is at max_codec_calls_per_connection. */
  overflow(direction: 'decode' | 'encode', limit: number): CodecFailure {
    return this.failed(direction, direction === 'decode' ? 'the decoder' : 'the encoder',
      new CodecFailure('limit', `${limit} messages of this connection are waiting on the ${direction}r (max_codec_calls_per_connection)`));
  }

  private async call<T>(direction: 'decode' | 'encode', format: DynamicFormat, procedure: string, args: Args, read: (value: unknown) => T): Promise<T> {
    if (this.inFlight >= this.maxCalls) {
      throw this.failed(direction, procedure, new CodecFailure('limit', `${this.maxCalls} encoder and decoder calls are in flight for this transport (max_codec_calls)`));
    }
    this.counters.inFlight.set(++this.inFlight);
    try {
      return read(returned(procedure, await this.caller.call({ realm: format.realm, role: trustedRole }, procedure, args)));
    } catch (error) {
      throw this.failed(direction, procedure, failureOf(error, procedure));
    } finally {
      this.counters.inFlight.set(--this.inFlight);
    }
  }

  private failed(direction: 'decode' | 'encode', procedure: string, failure: CodecFailure): CodecFailure {
    this.counters.failures.inc({ direction, reason: failure.reason });
    const since = this.warnings.record(performance.now());
    if (since !== undefined) {
      this.log.warn({ direction, procedure, reason: failure.reason, err: failure.message, failures: since },
        'MQTT payload codec call failed (further failures are counted, and warned at most every 10 s)');
    }
    return failure;
  }
}
