import type { Published, Registered, Subscribed, Unregister, Unsubscribe, WampMessage } from '../protocol/messages.js';
import type { MatchPolicy } from '../protocol/uri.js';
import { OutgoingCall } from './call.js';
import { Channel } from './channel.js';
import { Connection, type RestoreSummary } from './connection.js';
import { checkUri, ConnectionLostError, detailsMessage, SessionClosedError, WampError } from './errors.js';
import type { Established } from './handshake.js';
import type { RouterMessage } from './layout.js';
import { invoke, type Interrupt } from './invocation.js';
import { describeEnd, type Link, type LinkEnd } from './link.js';
import { Registration } from './registration.js';
import { RequestTable } from './requests.js';
import { Result } from './result.js';
import { Subscription, SubscriptionTable } from './subscription.js';
import type {
  Args,
  CallOptions,
  Endpoint,
  EventHandler,
  Kwargs,
  PublishOptions,
  RegisterOptions,
  RestoreFailure,
  SessionState,
  Status,
  SubscribeOptions,
} from './types.js';
import { ABORT, CALL, CHALLENGE, ERROR, EVENT, GOODBYE, INTERRUPT, INVOCATION, PUBLISH, PUBLISHED, REGISTER, REGISTERED, RESULT, SUBSCRIBE, SUBSCRIBED, UNREGISTER, UNREGISTERED, UNSUBSCRIBE, UNSUBSCRIBED, WELCOME, CANCELED_URI, CLOSE_REALM_URI, GOODBYE_AND_OUT_URI, NO_SUCH_REGISTRATION_URI, PROTOCOL_VIOLATION_URI } from './wire.js';

/** The messages that carry a request id, and one of them before its id is assigned. */
type RequestMessage = Extract<WampMessage, { request: number }>;
type Unnumbered<M> = M extends unknown ? Omit<M, 'request'> : never;

/** How long `leave()` waits for the router's GOODBYE before dropping the connection anyway. */
const GOODBYE_WAIT_MS = 5000;

export type HandlerErrorReporter = (error: unknown, where: string) => void;

/**
 * A WAMP session as the app sees it: publish, subscribe, call, register, leave. It survives
 * reconnects: the Connection redials, and this class restores subscriptions and registrations
 * on each new link. Operations made while reconnecting wait for the session to be open again.
 */
export class Session {
  readonly #connection: Connection;
  #link: Link | undefined;
  #sessionId = 0;
  #welcome: Record<string, unknown> = {};
  /** Request ids count up from 1 on each connection, as the spec asks of session-scope ids. */
  #lastRequest = 0;
  readonly #requests = new RequestTable();
  readonly #calls = new Map<number, OutgoingCall>();
  readonly #invocations = new Map<number, Interrupt>();
  readonly #subscriptions = new SubscriptionTable();
  readonly #registrations = new Set<Registration>();
  readonly #registrationsById = new Map<number, Registration>();
  #leaving: Promise<void> | undefined;

  readonly #onHandlerError: HandlerErrorReporter;

  /** @internal Use `connect()`. */
  constructor(
    createConnection: (session: Session) => Connection,
    readonly realm: string,
    onHandlerError: HandlerErrorReporter,
  ) {
    this.#onHandlerError = onHandlerError;
    this.#connection = createConnection(this);
  }

  /** @internal Opens the first connection; `connect()` calls it. */
  start(): Promise<void> {
    return this.#connection.start();
  }

  /** The router-assigned session id of the current connection. */
  get id(): number {
    return this.#sessionId;
  }

  /** WELCOME.Details of the current connection: authid, authrole, roles the router offers... */
  get details(): Record<string, unknown> {
    return this.#welcome;
  }

  get state(): SessionState {
    return this.#connection.state;
  }

  /** Connection statuses from now on: connecting, open, closed (with reason), retrying in N ms, restored. */
  status(): AsyncIterableIterator<Status> {
    return this.#connection.status();
  }

  publish<A extends Args = Args, K extends Kwargs = Kwargs>(
    topic: string,
    args?: A,
    kwargs?: K,
    options: PublishOptions = {},
  ): Promise<number | undefined> {
    this.#check('publish', topic, 'exact', args, kwargs);
    return this.#withLink((link) => {
      const message = { type: PUBLISH, options: { ...options }, topic, args, kwargs } as const;
      if (options.acknowledge) return this.#request(link, message).then((published) => (published as Published).publication);
      link.send({ ...message, request: ++this.#lastRequest });
      return Promise.resolve(undefined);
    });
  }

  subscribe<A extends Args = Args, K extends Kwargs = Kwargs>(
    topic: string,
    handler?: EventHandler<A, K>,
    options: SubscribeOptions = {},
  ): Promise<Subscription<A, K>> {
    this.#check('subscribe', topic, options.match);
    if (handler !== undefined && typeof handler !== 'function') throw new TypeError(`subscribe "${topic}": handler must be a function`);
    const subscription = new Subscription<A, K>(this, topic, { ...options }, handler);
    const untyped = subscription as unknown as Subscription;
    return this.#withLink((link) => this.#sendSubscribe(link, untyped)).then(() => {
      this.#subscriptions.all.add(untyped);
      return subscription;
    });
  }

  call<A extends Args = Args, K extends Kwargs = Kwargs, RA extends Args = Args, RK extends Kwargs = Kwargs>(
    procedure: string,
    args?: A,
    kwargs?: K,
    options: CallOptions<RA, RK> = {},
  ): Promise<Result<RA, RK>> {
    this.#check('call', procedure, 'exact', args, kwargs);
    return new Promise<Result>((resolve, reject) => {
      const call = new OutgoingCall(procedure, args, kwargs, options as CallOptions, resolve, reject, (request) => this.#calls.delete(request));
      if (call.isDone) return;
      const send = (link: Link): void => {
        if (call.isDone) return;
        const request = ++this.#lastRequest;
        this.#calls.set(request, call);
        call.send(link, request);
      };
      if (this.#link) send(this.#link);
      else this.#connection.whenOpen().then(send, (error: Error) => call.lost(error));
    }) as Promise<Result<RA, RK>>;
  }

  /**
   * A call whose progressive results arrive as an async iterator; the final result is the last
   * item. Leaving the loop early cancels the call (mode "killnowait" unless `cancelMode` says otherwise).
   */
  callStream<A extends Args = Args, K extends Kwargs = Kwargs, RA extends Args = Args, RK extends Kwargs = Kwargs>(
    procedure: string,
    args?: A,
    kwargs?: K,
    options: Omit<CallOptions<RA, RK>, 'onProgress'> = {},
  ): AsyncIterableIterator<Result<RA, RK>> {
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const channel = new Channel<Result<RA, RK>>(() => stop.abort());
    this.call<A, K, RA, RK>(procedure, args, kwargs, {
      ...options,
      signal,
      cancelMode: options.cancelMode ?? 'killnowait',
      onProgress: (result) => channel.push(result),
    }).then(
      (result) => {
        channel.push(result);
        channel.end();
      },
      (error: unknown) => channel.end(error),
    );
    return channel;
  }

  register<A extends Args = Args, K extends Kwargs = Kwargs>(
    procedure: string,
    endpoint: Endpoint<A, K>,
    options: RegisterOptions = {},
  ): Promise<Registration> {
    this.#check('register', procedure, options.match);
    if (typeof endpoint !== 'function') throw new TypeError(`register "${procedure}": endpoint must be a function`);
    const registration = new Registration(this, procedure, { ...options }, endpoint as Endpoint);
    return this.#withLink((link) => this.#sendRegister(link, registration)).then(() => {
      this.#registrations.add(registration);
      return registration;
    });
  }

  /** Closes the session with GOODBYE; no reconnect follows. Resolves once the connection is closed. */
  leave(reason: string = CLOSE_REALM_URI, message?: string): Promise<void> {
    if (this.#leaving) return this.#leaving;
    checkUri('leave', reason);
    this.#connection.stop();
    const link = this.#link;
    if (link?.isOpen) {
      link.send({ type: GOODBYE, details: message ? { message } : {}, reason });
      const timer = setTimeout(() => link.close({ reason, message: 'no GOODBYE reply' }), GOODBYE_WAIT_MS);
      this.#leaving = this.#connection.closed.then(() => clearTimeout(timer));
    } else {
      this.#leaving = this.#connection.closed;
    }
    return this.#leaving;
  }

  // ---- SubscriptionOwner / RegistrationOwner ----

  /** @internal */
  unsubscribe(subscription: Subscription): Promise<void> {
    const last = this.#subscriptions.remove(subscription);
    const id = subscription.id;
    subscription.end();
    return last ? this.#release(this.#link, { type: UNSUBSCRIBE, subscription: id }) : Promise.resolve();
  }

  /** @internal */
  unregister(registration: Registration): Promise<void> {
    this.#registrations.delete(registration);
    registration.end();
    const id = registration.id;
    if (this.#registrationsById.get(id) !== registration) return Promise.resolve();
    this.#registrationsById.delete(id);
    return this.#release(this.#link, { type: UNREGISTER, registration: id });
  }

  /** @internal */
  reportHandlerError(error: unknown, where: string): void {
    this.#onHandlerError(error, where);
  }

  // ---- ConnectionHooks ----

  /** @internal */
  async opened(established: Established, reconnected: boolean): Promise<RestoreSummary> {
    const { link } = established;
    this.#link = link;
    this.#sessionId = established.session;
    this.#welcome = established.details;
    this.#lastRequest = 0;
    link.onMessage = (message) => this.#dispatch(link, message);
    const summary: RestoreSummary = { subscriptions: 0, registrations: 0, failures: [] };
    if (!reconnected) return summary;
    // Each subscription and registration is restored on its own; one refused is reported and ended.
    const restore = async (kind: RestoreFailure['kind'], uri: string, sending: Promise<void>, forget: (error: Error) => void) => {
      try {
        await sending;
        summary[`${kind}s` as const]++;
      } catch (error) {
        if (error instanceof ConnectionLostError) return; // the next connection tries again
        forget(error as Error);
        summary.failures.push({ kind, uri, error: error as Error });
      }
    };
    await Promise.all([
      ...[...this.#subscriptions.all].map((subscription) =>
        restore('subscription', subscription.topic, this.#sendSubscribe(link, subscription), (error) => {
          this.#subscriptions.remove(subscription);
          subscription.end(error);
        }),
      ),
      ...[...this.#registrations].map((registration) =>
        restore('registration', registration.procedure, this.#sendRegister(link, registration), () => {
          this.#registrations.delete(registration);
          registration.end();
        }),
      ),
    ]);
    return summary;
  }

  /** @internal */
  lost(end: LinkEnd): void {
    this.#link = undefined;
    const error = new ConnectionLostError(describeEnd(end));
    this.#requests.failAll(error);
    for (const call of [...this.#calls.values()]) call.lost(error);
    this.#calls.clear();
    for (const interrupt of this.#invocations.values()) interrupt(error);
    this.#invocations.clear();
    this.#subscriptions.unbindAll();
    this.#registrationsById.clear();
    for (const registration of this.#registrations) registration.id = 0;
  }

  /** @internal */
  closed(requested: boolean): void {
    const error = requested ? undefined : new SessionClosedError(this.#connection.closedText());
    for (const subscription of this.#subscriptions.all) subscription.end(error);
    this.#subscriptions.all.clear();
    for (const registration of this.#registrations) registration.end();
    this.#registrations.clear();
  }

  // ---- internals ----

  #dispatch(link: Link, message: RouterMessage): void {
    switch (message.type) {
      case EVENT:
        this.#subscriptions.deliver(message);
        return;
      case RESULT:
        this.#calls.get(message.request)?.result(message);
        return;
      case INVOCATION: {
        const registration = this.#registrationsById.get(message.registration);
        if (registration) invoke(link, message, registration, this.#invocations);
        else {
          link.send({
            type: ERROR,
            requestType: INVOCATION,
            request: message.request,
            details: {},
            error: NO_SUCH_REGISTRATION_URI,
                      });
        }
        return;
      }
      case INTERRUPT: {
        // The endpoint's signal.reason says how: INTERRUPT.Options.mode is "kill" or "killnowait".
        this.#invocations.get(message.request)?.(new WampError(CANCELED_URI, [`canceled (${String(message.options.mode ?? 'kill')})`]));
        return;
      }
      case ERROR:
        if (message.requestType === CALL) this.#calls.get(message.request)?.error(message);
        else this.#settle(link, message.request, message);
        return;
      case PUBLISHED:
      case SUBSCRIBED:
      case UNSUBSCRIBED:
      case REGISTERED:
      case UNREGISTERED:
        this.#settle(link, message.request, message);
        return;
      case GOODBYE:
      case ABORT:
        // The answer to our own GOODBYE, or an ABORT, needs no reply; a router-initiated GOODBYE does.
        if (message.type === GOODBYE && !this.#leaving) link.send({ type: GOODBYE, details: {}, reason: GOODBYE_AND_OUT_URI });
        link.close({ reason: message.reason, message: detailsMessage(message.details) });
        return;
      case WELCOME:
      case CHALLENGE:
        link.abort(PROTOCOL_VIOLATION_URI, `unexpected message type ${message.type}`);
        return;
      default:
        message satisfies never;
    }
  }

  #settle(link: Link, request: number, reply: WampMessage): void {
    const complaint = this.#requests.settle(request, reply);
    if (complaint) link.abort(PROTOCOL_VIOLATION_URI, complaint);
  }

  /** Sends a request under the next request id; resolves with its reply, rejects with its ERROR. */
  #request(link: Link, message: Unnumbered<RequestMessage>, onReply?: (reply: WampMessage) => void): Promise<WampMessage> {
    const request = ++this.#lastRequest;
    const reply = this.#requests.expect(request, message.type, onReply);
    link.send({ ...message, request } as RequestMessage);
    return reply;
  }

  #sendSubscribe(link: Link, subscription: Subscription): Promise<void> {
    const message = { type: SUBSCRIBE, options: { ...subscription.options }, topic: subscription.topic } as const;
    // Bound as SUBSCRIBED arrives: an EVENT right behind it is delivered.
    return this.#request(link, message, (reply) => {
      if (!subscription.isActive) return this.#dropLateSubscription(link, (reply as Subscribed).subscription);
      this.#subscriptions.bind(subscription, (reply as Subscribed).subscription);
    }).then(() => undefined);
  }

  /** The app unsubscribed while SUBSCRIBE was in flight: undo it unless another subscription shares the id. */
  #dropLateSubscription(link: Link, id: number): void {
    const shared = [...this.#subscriptions.all].some((other) => other.id === id);
    if (!shared) this.#release(link, { type: UNSUBSCRIBE, subscription: id }).catch(() => {});
  }

  #sendRegister(link: Link, registration: Registration): Promise<void> {
    const message = { type: REGISTER, options: { ...registration.options }, procedure: registration.procedure } as const;
    // Bound as REGISTERED arrives: an INVOCATION right behind it reaches the endpoint.
    return this.#request(link, message, (reply) => {
      const id = (reply as Registered).registration;
      if (!registration.isActive) {
        this.#release(link, { type: UNREGISTER, registration: id }).catch(() => {});
        return;
      }
      registration.id = id;
      this.#registrationsById.set(id, registration);
    }).then(() => undefined);
  }

  /** UNSUBSCRIBE or UNREGISTER one router id; nothing to do without a connection, whose loss dropped it already. */
  #release(link: Link | undefined, message: Unnumbered<Unsubscribe | Unregister>): Promise<void> {
    if (!link) return Promise.resolve();
    return this.#request(link, message).then(() => {});
  }

  /** Runs `operation` on the current link, or once the session is open again after a reconnect. */
  #withLink<T>(operation: (link: Link) => Promise<T>): Promise<T> {
    if (this.#link && this.#connection.state === 'open') return operation(this.#link);
    return this.#connection.whenOpen().then(operation);
  }

  /** Misuse is reported where it happens, before anything is sent. */
  #check(operation: string, uri: unknown, match: MatchPolicy | undefined, args?: unknown, kwargs?: unknown): void {
    checkUri(operation, uri, match === 'wildcard' || match === 'prefix');
    if (args !== undefined && !Array.isArray(args)) throw new TypeError(`${operation} "${uri}": args must be an array`);
    if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))) {
      throw new TypeError(`${operation} "${uri}": kwargs must be a plain object`);
    }
    if (this.#leaving || this.#connection.state === 'closed') {
      throw new SessionClosedError(`cannot ${operation} "${uri}": ${this.#leaving ? 'the session is leaving' : this.#connection.closedText()}`);
    }
  }
}
