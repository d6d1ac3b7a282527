import type { Codec } from '../codec/codec.js';
import type { WampMessage } from '../protocol/messages.js';
import { decodeMessage, encodeMessage, type RouterMessage } from './layout.js';
import type { Frame, Transport } from './transport.js';
import { ABORT, PROTOCOL_VIOLATION_URI } from './wire.js';

/** Why a link ended: a WAMP reason URI (GOODBYE, ABORT) or "lost" when the transport just closed. */
export interface LinkEnd {
  reason: string;
  message?: string;
}

/** "reason: message", or the reason alone, for error texts. */
export function describeEnd({ reason, message }: LinkEnd): string {
  return message ? `${reason}: ${message}` : reason;
}

/**
 * One transport connection speaking WAMP in one codec: typed messages out, parsed messages in.
 * A frame that does not decode or parse aborts the link with a protocol violation, as the spec
 * asks; nothing malformed reaches the session.
 */
export class Link {
  onMessage: (message: RouterMessage) => void = () => {};
  onEnd: (end: LinkEnd) => void = () => {};
  #ended = false;
  readonly #transport: Transport;

  constructor(readonly codec: Codec, transport: Transport) {
    this.#transport = transport;
  }

  get isOpen(): boolean {
    return !this.#ended;
  }

  send(message: WampMessage): void {
    if (!this.#ended) this.#transport.send(this.codec.encode(encodeMessage(message)));
  }

  receive(frame: Frame): void {
    if (this.#ended) return;
    let raw: unknown;
    try {
      raw = this.codec.decode(frame);
    } catch (error) {
      this.abort(PROTOCOL_VIOLATION_URI, `cannot decode a ${this.codec.name} frame: ${(error as Error).message}`);
      return;
    }
    const message = decodeMessage(raw);
    if (typeof message === 'string') this.abort(PROTOCOL_VIOLATION_URI, message);
    else this.onMessage(message);
  }

  /** Sends ABORT and drops the connection. */
  abort(reason: string, message: string): void {
    this.send({ type: ABORT, details: { message }, reason });
    this.close({ reason, message });
  }

  /** Drops the connection and reports `end` (once) to the owner. */
  close(end: LinkEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      // 1000: a normal closure; a close reason may hold at most 123 bytes.
      this.#transport.close(1000, end.reason.slice(0, 120));
    } catch {
      // The socket is already gone: nothing left to close.
    }
    this.onEnd(end);
  }

  /** The transport closed under us. */
  transportClosed(code: number, reason: string): void {
    this.close({ reason: 'lost', message: `WebSocket closed with code ${code}${reason ? `: ${reason}` : ''}` });
  }
}
