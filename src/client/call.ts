import type { ErrorMessage, Result as ResultMessage } from '../protocol/messages.js';
import { WampError } from './errors.js';
import type { Link } from './link.js';
import { errorFromMessage } from './requests.js';
import { Result } from './result.js';
import type { Args, CallOptions, Kwargs } from './types.js';
import { CALL, CANCEL, TIMEOUT_URI } from './wire.js';

/**
 * One outgoing CALL from `call()` to its end. It may wait for a connection before it is sent;
 * its timeout and AbortSignal count from the moment the app called. Ends exactly once: RESULT,
 * ERROR, timeout, abort, or connection loss.
 */
export class OutgoingCall {
  #link: Link | undefined;
  #request = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #done = false;
  /** Made only for a call with a signal: most calls have none. */
  #onAbort: (() => void) | undefined;

  readonly #args: Args | undefined;
  readonly #kwargs: Kwargs | undefined;
  readonly #options: CallOptions;
  readonly #resolve: (result: Result) => void;
  readonly #reject: (error: unknown) => void;
  readonly #forget: (request: number) => void;

  constructor(
    readonly procedure: string,
    args: Args | undefined,
    kwargs: Kwargs | undefined,
    options: CallOptions,
    resolve: (result: Result) => void,
    reject: (error: unknown) => void,
    /** Called once when the call ends, so the session forgets it. */
    forget: (request: number) => void,
  ) {
    this.#args = args;
    this.#kwargs = kwargs;
    this.#options = options;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#forget = forget;
    const { signal, timeout = 0 } = options;
    if (signal?.aborted) {
      this.#finish(signal.reason, false);
      return;
    }
    if (signal) {
      this.#onAbort = () => this.#cancel(this.#options.cancelMode ?? 'kill', signal.reason);
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
    if (timeout > 0) {
      this.#timer = setTimeout(
        () => this.#cancel('killnowait', new WampError(TIMEOUT_URI, [`call to ${procedure} timed out after ${timeout} ms`])),
        timeout,
      );
    }
  }

  get isDone(): boolean {
    return this.#done;
  }

  send(link: Link, request: number): void {
    if (this.#done) return;
    this.#link = link;
    this.#request = request;
    const { timeout = 0, onProgress, disclose_me, forward_for } = this.#options;
    const options: Record<string, unknown> = {};
    if (onProgress) options.receive_progress = true;
    if (timeout > 0) options.timeout = timeout;
    if (disclose_me !== undefined) options.disclose_me = disclose_me;
    if (forward_for !== undefined) options.forward_for = forward_for;
    link.send({ type: CALL, request, options, procedure: this.procedure, args: this.#args, kwargs: this.#kwargs });
  }

  result(message: ResultMessage): void {
    const result = new Result(message.args ?? [], message.kwargs ?? {}, message.details);
    if (!result.progress) {
      this.#finish(result, true);
      return;
    }
    try {
      this.#options.onProgress?.(result);
    } catch (error) {
      // A throwing progress handler ends the call on the caller's side: it can no longer follow.
      this.#cancel('killnowait', error);
    }
  }

  error(message: ErrorMessage): void {
    this.#finish(errorFromMessage(message), false);
  }

  /** The connection dropped before the end: the outcome is unknown. */
  lost(error: Error): void {
    this.#finish(error, false);
  }

  #cancel(mode: string, reason: unknown): void {
    if (this.#done) return;
    if (this.#link?.isOpen) this.#link.send({ type: CANCEL, request: this.#request, options: { mode } });
    this.#finish(reason, false);
  }

  #finish(outcome: unknown, success: boolean): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    if (this.#onAbort) this.#options.signal!.removeEventListener('abort', this.#onAbort);
    if (this.#request) this.#forget(this.#request);
    if (success) this.#resolve(outcome as Result);
    else this.#reject(outcome);
  }
}
