import { MessageType } from '../protocol/codes.js';
import type { Envelope } from '../protocol/envelope.js';
import { ErrorUri } from '../protocol/errors.js';
import { IdSequence } from '../protocol/ids.js';
import { goodbyeAnswer } from '../protocol/message-text.js';
import { toWire, type Args, type Dict, type WampMessage } from '../protocol/messages.js';
import type { AuthGate } from './hooks.js';
import type { AttachOptions, Peer, SessionLink, TransportInfo } from './peer.js';

/** An ERROR received by an internal session, as a rejection. */
export class InternalCallError extends Error {
  constructor(readonly uri: string, readonly args: Args = [], readonly kwargs: Dict = {}) {
    super(`${uri}${args.length > 0 ? `: ${String(args[0])}` : ''}`);
  }
}

export interface CallOutcome {
  args: Args;
  kwargs: Dict;
}

/** Receives the events of an internal subscription. */
export type InternalEventHandler = (args: Args, kwargs: Dict, details: Dict & { publication: number }) => void;

/** Who an internal session is. Defaults: authmethod "trusted", authprovider "internal". */
export interface InternalIdentity {
  authid: string;
  authrole: string;
  authmethod?: string;
  authprovider?: string;
  authextra?: Dict;
}

export interface InternalJoinOptions {
  /**
   * The router's own sessions (meta API, authenticators) are trusted: they may use "wamp." URIs
   * and pass every authorization. Bridge sessions acting for HTTP clients are not (default true).
   */
  trusted?: boolean;
  /** Not held to the realm's per-session limits (a bridge session acting for many HTTP clients). */
  exemptFromLimits?: boolean;
  /** What the meta API reports as this session's transport (a door's own: "pusher"...); default "internal". */
  transport?: TransportInfo;
}

/**
 * What an internal procedure returns: a plain value (sent as the single argument) or args/kwargs.
 * `signal` aborts when the dealer interrupts the invocation (the caller cancelled, timed out or left).
 * `progress` sends a progressive result; it does nothing unless the caller asked for them
 * (`details.receive_progress`) or once the invocation ended.
 */
export type InternalHandler = (args: Args, kwargs: Dict, details: Dict, signal: AbortSignal, progress: ProgressSink) => unknown | Promise<unknown>;

/** Receives one progressive result of a call. */
export type ProgressSink = (args: Args, kwargs: Dict) => void;

/** Marks a handler result that carries explicit args/kwargs. */
export class InternalResult {
  constructor(readonly args: Args = [], readonly kwargs?: Dict) {}
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** The answer to a request that the router may give during the request itself: a promise is made only if it has not. */
class EarlyAnswer<T> implements Pending {
  private answered = false;
  private value: T | undefined;
  private error: Error | undefined;
  private later: Pending | undefined;

  resolve(value: unknown): void {
    if (this.later) return this.later.resolve(value);
    this.answered = true;
    this.value = value as T;
  }

  reject(error: Error): void {
    if (this.later) return this.later.reject(error);
    this.answered = true;
    this.error = error;
  }

  /** The value if the answer came already (an error is thrown), else a promise of it. */
  nowOrLater(): T | Promise<T> {
    if (!this.answered) return new Promise<T>((resolve, reject) => (this.later = { resolve: resolve as (value: unknown) => void, reject }));
    if (this.error) throw this.error;
    return this.value as T;
  }
}

/**
 * A session living inside the router (meta API, dynamic authenticators and authorizers, bridges):
 * it joins a realm through an in-memory peer, as trusted, and speaks typed messages without any
 * codec. It behaves like every other session: the same broker, dealer and rules.
 */
export class InternalSession implements Peer {
  transport: TransportInfo = { type: 'internal', serializer: 'none', peer: 'internal' };
  private link!: SessionLink;
  private readonly requests = new IdSequence();
  private readonly pending = new Map<number, Pending>();
  /** Where the progressive results of calls in flight go, by request id (only calls that asked for them). */
  private readonly progressSinks = new Map<number, ProgressSink>();
  private readonly handlers = new Map<number, InternalHandler>();
  private readonly subscriptions = new Map<number, InternalEventHandler>();
  /** Invocations being served, by request id: aborted on INTERRUPT. */
  private readonly running = new Map<number, AbortController>();
  private welcomed!: Pending;
  private markClosed!: () => void;
  /** Set by leave(): the router's GOODBYE is then its reply, not one to answer. */
  private leaving = false;
  /** Resolves once the router has closed this session (left, killed, or the router shut down). */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));
  sessionId = 0;

  /** Joins `realm` with the given identity; resolves once WELCOME arrived. */
  static async join(
    attach: (peer: Peer, gate: AuthGate, options: AttachOptions) => SessionLink,
    realm: string,
    identity: InternalIdentity,
    options: InternalJoinOptions = {},
  ): Promise<InternalSession> {
    const session = new InternalSession();
    if (options.transport) session.transport = options.transport;
    const { authmethod = 'trusted', authprovider = 'internal', authextra } = identity;
    const gate: AuthGate = {
      hello: () => ({ kind: 'welcome', identity: { authid: identity.authid, authrole: identity.authrole, authmethod, authprovider, ...(authextra && { authextra }) } }),
    };
    // Ready before attach: a router that is shutting down answers with ABORT from inside attach.
    const welcomed = new Promise<void>((resolve, reject) => (session.welcomed = { resolve: () => resolve(), reject }));
    session.link = attach(session, gate, { trusted: options.trusted ?? true, exemptFromLimits: options.exemptFromLimits, helloTimeoutMs: 0 });
    session.deliver({
      type: MessageType.HELLO, realm,
      details: { roles: { caller: { features: { call_canceling: true, progressive_call_results: true } }, callee: { features: { progressive_call_results: true, call_canceling: true } }, publisher: {}, subscriber: {} } },
    });
    await welcomed;
    return session;
  }

  /**
   * Calls a procedure. Aborting `signal` rejects the call at once with wamp.error.canceled and
   * sends CANCEL (mode "killnowait": a callee with call_canceling is interrupted). The router's
   * ERROR for it is not waited for: it sends none when the callee cannot be interrupted (as Crossbar).
   * `onProgress` asks for progressive results and receives them, in order, before the final one.
   */
  call(procedure: string, args: Args = [], kwargs: Dict = {}, options: Dict = {}, signal?: AbortSignal, onProgress?: ProgressSink): Promise<CallOutcome> {
    if (signal?.aborted) return Promise.reject(new InternalCallError(ErrorUri.canceled, ['the call was cancelled before it was sent']));
    let sent = 0;
    const outcome = this.request<CallOutcome>((request) => {
      sent = request;
      if (onProgress) this.progressSinks.set(request, onProgress);
      return { type: MessageType.CALL, request, options: onProgress ? { ...options, receive_progress: true } : options, procedure, args, kwargs };
    });
    if (!signal) return outcome;
    const cancel = (): void => {
      const pending = this.pending.get(sent);
      if (!pending) return;
      this.pending.delete(sent); // the router's ERROR, if one comes, is then ignored
      this.progressSinks.delete(sent);
      this.deliver({ type: MessageType.CANCEL, request: sent, options: { mode: 'killnowait' } });
      pending.reject(new InternalCallError(ErrorUri.canceled, ['the call was cancelled']));
    };
    signal.addEventListener('abort', cancel, { once: true });
    return outcome.finally(() => signal.removeEventListener('abort', cancel));
  }

  async register(procedure: string, handler: InternalHandler, options: Dict = {}): Promise<number> {
    const registration = await this.request<number>((request) => ({ type: MessageType.REGISTER, request, options, procedure }));
    this.handlers.set(registration, handler);
    return registration;
  }

  async unregister(registration: number): Promise<void> {
    await this.request<unknown>((request) => ({ type: MessageType.UNREGISTER, request, registration }));
    this.handlers.delete(registration);
  }

  /** Publishes with acknowledgement: resolves to the publication id, rejects with the router's ERROR (not authorized...). */
  publishAcknowledged(topic: string, args: Args = [], kwargs?: Dict, options: Dict = {}): Promise<number> {
    try {
      return Promise.resolve(this.publishAcknowledgedNowOrLater(topic, args, kwargs, options));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * publishAcknowledged without a promise when the router answers during the call, as it does
   * unless a dynamic authorizer is asked: returns the publication id, or throws the router's
   * ERROR (InternalCallError); otherwise returns a promise of the id. The HTTP publisher answers
   * in the same turn this way (a promise, its continuation and a deadline per POST were measurable).
   */
  publishAcknowledgedNowOrLater(topic: string, args: Args = [], kwargs?: Dict, options: Dict = {}): number | Promise<number> {
    const request = this.requests.nextId();
    const answer = new EarlyAnswer<number>();
    this.pending.set(request, answer);
    try {
      this.deliver({ type: MessageType.PUBLISH, request, options: { ...options, acknowledge: true }, topic, args, kwargs });
    } catch (error) {
      this.pending.delete(request);
      throw error;
    }
    return answer.nowOrLater();
  }

  /** Subscribes; `handler` receives every EVENT of the subscription. Resolves to the subscription id. */
  async subscribe(topic: string, handler: InternalEventHandler, options: Dict = {}): Promise<number> {
    const subscription = await this.request<number>((request) => ({ type: MessageType.SUBSCRIBE, request, options, topic }));
    this.subscriptions.set(subscription, handler);
    return subscription;
  }

  async unsubscribe(subscription: number): Promise<void> {
    await this.request<unknown>((request) => ({ type: MessageType.UNSUBSCRIBE, request, subscription }));
    this.subscriptions.delete(subscription);
  }

  /** Publishes without acknowledgement (fire and forget, as the router's own events are). */
  publish(topic: string, args: Args = [], kwargs?: Dict, options: Dict = {}): void {
    this.deliver({ type: MessageType.PUBLISH, request: this.requests.nextId(), options, topic, args, kwargs });
  }

  leave(): void {
    this.leaving = true;
    this.deliver({ type: MessageType.GOODBYE, details: {}, reason: ErrorUri.closeNormal });
  }

  // ---- Peer: what the router sends to this session ----

  send(envelope: Envelope): void {
    // No codec in between: the typed message is read, never modified (other subscribers share it).
    this.receive(envelope.message);
  }

  close(): void {
    for (const pending of this.pending.values()) pending.reject(new Error('internal session closed'));
    this.pending.clear();
    this.progressSinks.clear();
    this.markClosed();
  }

  private deliver(message: WampMessage): void {
    // In-process: no bytes were received (the queue still counts the message).
    this.link.receive(toWire(message), 0);
  }

  private request<T>(build: (request: number) => WampMessage): Promise<T> {
    const request = this.requests.nextId();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(request, { resolve: resolve as (value: unknown) => void, reject });
      this.deliver(build(request));
    });
  }

  private settle(request: number, value: unknown): void {
    const pending = this.pending.get(request);
    this.pending.delete(request);
    pending?.resolve(value);
  }

  private result(request: number, args: Args, kwargs: Dict, progress: boolean): void {
    if (progress) return this.progressSinks.get(request)?.(args, kwargs);
    this.progressSinks.delete(request);
    this.settle(request, { args, kwargs });
  }

  private receive(message: WampMessage): void {
    switch (message.type) {
      case MessageType.WELCOME:
        this.sessionId = message.session;
        this.welcomed.resolve(undefined);
        return;
      case MessageType.ABORT:
        this.welcomed.reject(new InternalCallError(message.reason, [message.details.message]));
        return;
      case MessageType.RESULT:
        return this.result(message.request, message.args ?? [], message.kwargs ?? {}, message.details.progress === true);
      case MessageType.REGISTERED:
        return this.settle(message.request, message.registration);
      case MessageType.PUBLISHED:
        return this.settle(message.request, message.publication);
      case MessageType.SUBSCRIBED:
        return this.settle(message.request, message.subscription);
      case MessageType.UNSUBSCRIBED:
      case MessageType.UNREGISTERED:
        return this.settle(message.request, undefined);
      case MessageType.EVENT:
        this.subscriptions.get(message.subscription)?.(message.args ?? [], message.kwargs ?? {}, { ...message.details, publication: message.publication });
        return;
      case MessageType.ERROR: {
        const pending = this.pending.get(message.request);
        this.pending.delete(message.request);
        this.progressSinks.delete(message.request);
        pending?.reject(new InternalCallError(message.error, message.args, message.kwargs));
        return;
      }
      case MessageType.INVOCATION:
        return void this.invoke(message.request, message.registration, message.args ?? [], message.kwargs ?? {}, message.details);
      case MessageType.INTERRUPT:
        this.running.get(message.request)?.abort(new InternalCallError(ErrorUri.canceled, ['the call was cancelled']));
        return;
      case MessageType.GOODBYE:
        // The router closes this session (shutdown): answer, so that nothing waits for us. The
        // router's own reply to our leave() is not answered again.
        if (!this.leaving) this.deliver(goodbyeAnswer());
        return;
      default:
        return; // nothing waits for the others
    }
  }

  private async invoke(request: number, registration: number, args: Args, kwargs: Dict, details: Dict): Promise<void> {
    const handler = this.handlers.get(registration);
    const interrupt = new AbortController();
    this.running.set(request, interrupt);
    const progress: ProgressSink = (progressArgs, progressKwargs) => {
      // Not after the invocation ended (answered, or interrupted): the dealer has forgotten it.
      if (details.receive_progress === true && this.running.get(request) === interrupt && !interrupt.signal.aborted) {
        this.deliver({ type: MessageType.YIELD, request, options: { progress: true }, args: progressArgs, kwargs: progressKwargs });
      }
    };
    try {
      if (!handler) throw new InternalCallError(ErrorUri.noSuchRegistration, ['no handler for this registration']);
      const value = await handler(args, kwargs, details, interrupt.signal, progress);
      const result = value instanceof InternalResult ? value : new InternalResult(value === undefined ? [] : [value]);
      this.deliver({ type: MessageType.YIELD, request, options: {}, args: result.args, kwargs: result.kwargs });
    } catch (error) {
      const failure = error instanceof InternalCallError ? error : new InternalCallError('wamp.error.runtime_error', [(error as Error).message]);
      this.deliver({ type: MessageType.ERROR, requestType: MessageType.INVOCATION, request, details: {}, error: failure.uri, args: failure.args, kwargs: failure.kwargs });
    } finally {
      this.running.delete(request);
    }
  }
}
