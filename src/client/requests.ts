import type { ErrorMessage, WampMessage } from '../protocol/messages.js';
import { WampError } from './errors.js';
import { ERROR } from './wire.js';

interface Pending {
  requestType: number;
  /** Run on the reply (not an ERROR) as it arrives, before the message after it is read: see `expect`. */
  onReply?: (reply: WampMessage) => void;
  resolve(reply: WampMessage): void;
  reject(error: unknown): void;
}

export function errorFromMessage(message: ErrorMessage): WampError {
  return new WampError(message.error, message.args, message.kwargs, message.details);
}

/** Requests awaiting their reply (SUBSCRIBED, PUBLISHED, REGISTERED... or ERROR), by request id. */
export class RequestTable {
  readonly #pending = new Map<number, Pending>();

  /**
   * The reply's type code is one above the request's (SUBSCRIBE 32, SUBSCRIBED 33), or it is an
   * ERROR. `onReply` takes the reply at once: an EVENT or INVOCATION may follow SUBSCRIBED or
   * REGISTERED in the same read, before the promise's own callbacks run.
   */
  expect(request: number, requestType: number, onReply?: (reply: WampMessage) => void): Promise<WampMessage> {
    return new Promise((resolve, reject) => this.#pending.set(request, { requestType, resolve, reject, ...(onReply && { onReply }) }));
  }

  /**
   * Settles a request with its reply. Returns a complaint when the reply does not fit what was
   * asked (a protocol violation by the router), undefined otherwise; replies to requests no
   * longer waited for are ignored.
   */
  settle(request: number, reply: WampMessage): string | undefined {
    const pending = this.#pending.get(request);
    if (!pending) return undefined;
    const isError = reply.type === ERROR;
    const fits = isError ? (reply as ErrorMessage).requestType === pending.requestType : reply.type === pending.requestType + 1;
    if (!fits) return `message type ${reply.type} answers request ${request} of type ${pending.requestType}`;
    this.#pending.delete(request);
    if (isError) pending.reject(errorFromMessage(reply as ErrorMessage));
    else {
      pending.onReply?.(reply);
      pending.resolve(reply);
    }
    return undefined;
  }

  failAll(error: Error): void {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const pending of all) pending.reject(error);
  }
}
