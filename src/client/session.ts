import { MessageType, messageTypeName } from '../protocol/codes.js';
import { ErrorUri } from '../protocol/errors.js';
import { IdSequence } from '../protocol/ids.js';
import type { Goodbye, Published, Registered, Subscribed, WampMessage } from '../protocol/messages.js';
import { isValidUri, uriProblem, type MatchPolicy } from '../protocol/uri.js';
import { OutgoingCall } from './call.js';
import { Channel } from './channel.js';
import { Connection, type RestoreSummary } from './connection.js';
import { ConnectionLostError, InvalidUriError, SessionClosedError } from './errors.js';
import type { Established } from './handshake.js';
import { invoke } from './invocation.js';
import type { Link, LinkEnd } from './link.js';
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

/** How long `leave()` waits for the router's GOODBYE before dropping the connection anyway. */
const GOODBYE_WAIT_MS = 5000;

export type HandlerErrorReporter = (error: unknown, where: string) => void;

/**
 * A WAMP session as the app sees it: publish, subscribe, call, register, leave. It survives
 * reconnects: the Connection redials, and this class restores subscriptions and registrations
 * on each new link. Operations made while reconnecting wait for the session to be open again.
 */
export class Session {
  private readonly connection: Connection;
  private link: Link | undefined;
  private sessionId = 0;
  private welcome: Record<string, unknown> = {};
  private ids = new IdSequence();
  private requests = new RequestTable();
  private readonly calls = new Map<number, OutgoingCall>();
  private readonly invocations = new Map<number, AbortController>();
  private readonly subscriptions = new SubscriptionTable();
  private readonly registrations = new Set<Registration>();
  private readonly registrationsById = new Map<number, Registration>();
  private leaving: Promise<void> | undefined;

  /** @internal Use `connect()`. */
  constructor(
    createConnection: (session: Session) => Connection,
    readonly realm: string,
    private readonly onHandlerError: HandlerErrorReporter,
  ) {
    this.connection = createConnection(this);
  }

  /** @internal Opens the first connection; `connect()` calls it. */
  start(): Promise<void> {
    return this.connection.start();
  }

  /** The router-assigned session id of the current connection. */
  get id(): number {
    return this.sessionId;
  }

  /** WELCOME.Details of the current connection: authid, authrole, roles the router offers... */
  get details(): Record<string, unknown> {
    return this.welcome;
  }

  get state(): SessionState {
    return this.connection.state;
  }

  get isOpen(): boolean {
    return this.connection.state === 'open';
  }

  /** Connection statuses from now on: connecting, open, closed (with reason), retrying in N ms, restored. */
  status(): AsyncIterableIterator<Status> {
    return this.connection.status();
  }

  publish<A extends Args = Args, K extends Kwargs = Kwargs>(
    topic: string,
    args?: A,
    kwargs?: K,
    options: PublishOptions = {},
  ): Promise<number | undefined> {
    this.check('publish', topic, 'exact', args, kwargs);
    return this.withLink((link) => {
      const request = this.ids.nextId();
      const message = { type: MessageType.PUBLISH, request, options: { ...options }, topic, args, kwargs } as const;
      if (!options.acknowledge) {
        link.send(message);
        return Promise.resolve(undefined);
      }
      const reply = this.requests.expect(request, MessageType.PUBLISH, MessageType.PUBLISHED);
      link.send(message);
      return reply.then((published) => (published as Published).publication);
    });
  }

  subscribe<A extends Args = Args, K extends Kwargs = Kwargs>(
    topic: string,
    handler?: EventHandler<A, K>,
    options: SubscribeOptions = {},
  ): Promise<Subscription<A, K>> {
    this.check('subscribe', topic, options.match);
    if (handler !== undefined && typeof handler !== 'function') throw new TypeError(`subscribe: the handler for "${topic}" must be a function`);
    const subscription = new Subscription<A, K>(this, topic, { ...options }, handler);
    const untyped = subscription as unknown as Subscription;
    return this.withLink((link) => this.sendSubscribe(link, untyped)).then(() => {
      this.subscriptions.all.add(untyped);
      return subscription;
    });
  }

  call<A extends Args = Args, K extends Kwargs = Kwargs, RA extends Args = Args, RK extends Kwargs = Kwargs>(
    procedure: string,
    args?: A,
    kwargs?: K,
    options: CallOptions<RA, RK> = {},
  ): Promise<Result<RA, RK>> {
    this.check('call', procedure, 'exact', args, kwargs);
    return new Promise<Result>((resolve, reject) => {
      const call = new OutgoingCall(procedure, args, kwargs, options as CallOptions, resolve, reject, (request) => this.calls.delete(request));
      if (call.isDone) return;
      const send = (link: Link): void => {
        if (call.isDone) return;
        const request = this.ids.nextId();
        this.calls.set(request, call);
        call.send(link, request);
      };
      if (this.link) send(this.link);
      else this.connection.whenOpen().then(send, (error: Error) => call.lost(error));
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
    this.check('register', procedure, options.match);
    if (typeof endpoint !== 'function') throw new TypeError(`register: the endpoint for "${procedure}" must be a function`);
    const registration = new Registration(this, procedure, { ...options }, endpoint as Endpoint);
    return this.withLink((link) => this.sendRegister(link, registration)).then(() => {
      this.registrations.add(registration);
      return registration;
    });
  }

  /** Closes the session with GOODBYE; no reconnect follows. Resolves once the connection is closed. */
  leave(reason: string = ErrorUri.closeRealm, message?: string): Promise<void> {
    if (this.leaving) return this.leaving;
    if (!isValidUri(reason, { strict: false })) throw new InvalidUriError(`leave: ${uriProblem(reason, { strict: false })}`);
    this.connection.stop();
    const link = this.link;
    if (link?.isOpen) {
      link.send({ type: MessageType.GOODBYE, details: message ? { message } : {}, reason });
      const timer = setTimeout(() => link.close({ reason, message: 'the router did not answer GOODBYE' }), GOODBYE_WAIT_MS);
      this.leaving = this.connection.closed.then(() => clearTimeout(timer));
    } else {
      this.leaving = this.connection.closed;
    }
    return this.leaving;
  }

  // ---- SubscriptionOwner / RegistrationOwner ----

  /** @internal */
  unsubscribe(subscription: Subscription): Promise<void> {
    const last = this.subscriptions.remove(subscription);
    const id = subscription.id;
    subscription.end();
    if (!last || !this.link) return Promise.resolve();
    return this.request(this.link, { type: MessageType.UNSUBSCRIBE, request: this.ids.nextId(), subscription: id }, MessageType.UNSUBSCRIBED).then(
      () => undefined,
    );
  }

  /** @internal */
  unregister(registration: Registration): Promise<void> {
    this.registrations.delete(registration);
    registration.end();
    const id = registration.id;
    if (!id || !this.link || this.registrationsById.get(id) !== registration) return Promise.resolve();
    this.registrationsById.delete(id);
    return this.request(this.link, { type: MessageType.UNREGISTER, request: this.ids.nextId(), registration: id }, MessageType.UNREGISTERED).then(
      () => undefined,
    );
  }

  /** @internal */
  reportHandlerError(error: unknown, where: string): void {
    this.onHandlerError(error, where);
  }

  // ---- ConnectionHooks ----

  /** @internal */
  async opened(established: Established, reconnected: boolean): Promise<RestoreSummary> {
    const { link } = established;
    this.link = link;
    this.sessionId = established.session;
    this.welcome = established.details;
    this.ids = new IdSequence();
    link.onMessage = (message) => this.dispatch(link, message);
    const summary: RestoreSummary = { subscriptions: 0, registrations: 0, failures: [] };
    if (!reconnected) return summary;
    const failed = (kind: RestoreFailure['kind'], uri: string, error: Error): void => {
      summary.failures.push({ kind, uri, error });
    };
    await Promise.all([
      ...[...this.subscriptions.all].map((subscription) =>
        this.sendSubscribe(link, subscription).then(
          () => void summary.subscriptions++,
          (error: Error) => {
            if (error instanceof ConnectionLostError) return;
            this.subscriptions.remove(subscription);
            subscription.end(error);
            failed('subscription', subscription.topic, error);
          },
        ),
      ),
      ...[...this.registrations].map((registration) =>
        this.sendRegister(link, registration).then(
          () => void summary.registrations++,
          (error: Error) => {
            if (error instanceof ConnectionLostError) return;
            this.registrations.delete(registration);
            registration.end();
            failed('registration', registration.procedure, error);
          },
        ),
      ),
    ]);
    return summary;
  }

  /** @internal */
  lost(end: LinkEnd): void {
    this.link = undefined;
    const error = new ConnectionLostError(end.message ? `${end.reason}: ${end.message}` : end.reason);
    this.requests.failAll(error);
    this.requests = new RequestTable();
    for (const call of [...this.calls.values()]) call.lost(error);
    this.calls.clear();
    for (const controller of this.invocations.values()) controller.abort(error);
    this.invocations.clear();
    this.subscriptions.unbindAll();
    this.registrationsById.clear();
    for (const registration of this.registrations) registration.id = 0;
  }

  /** @internal */
  closed(requested: boolean): void {
    const error = requested ? undefined : new SessionClosedError(this.connection.closedText());
    for (const subscription of this.subscriptions.all) subscription.end(error);
    this.subscriptions.all.clear();
    for (const registration of this.registrations) registration.end();
    this.registrations.clear();
  }

  // ---- internals ----

  private dispatch(link: Link, message: WampMessage): void {
    switch (message.type) {
      case MessageType.EVENT:
        this.subscriptions.deliver(message);
        return;
      case MessageType.RESULT:
        this.calls.get(message.request)?.result(message);
        return;
      case MessageType.INVOCATION: {
        const registration = this.registrationsById.get(message.registration);
        if (registration) invoke(link, message, registration, this.invocations);
        else {
          link.send({
            type: MessageType.ERROR,
            requestType: MessageType.INVOCATION,
            request: message.request,
            details: {},
            error: ErrorUri.noSuchRegistration,
            args: [`this session has no registration ${message.registration}`],
          });
        }
        return;
      }
      case MessageType.INTERRUPT: {
        const mode = typeof message.options.mode === 'string' ? message.options.mode : 'kill';
        this.invocations.get(message.request)?.abort(new DOMException(`the call was canceled (${mode})`, 'AbortError'));
        return;
      }
      case MessageType.ERROR:
        if (message.requestType === MessageType.CALL) this.calls.get(message.request)?.error(message);
        else this.settle(link, message.request, message);
        return;
      case MessageType.PUBLISHED:
      case MessageType.SUBSCRIBED:
      case MessageType.UNSUBSCRIBED:
      case MessageType.REGISTERED:
      case MessageType.UNREGISTERED:
        this.settle(link, message.request, message);
        return;
      case MessageType.GOODBYE:
        this.goodbye(link, message);
        return;
      case MessageType.ABORT:
        link.close({ reason: message.reason, message: typeof message.details.message === 'string' ? message.details.message : undefined });
        return;
      case MessageType.HELLO:
      case MessageType.WELCOME:
      case MessageType.CHALLENGE:
      case MessageType.AUTHENTICATE:
      case MessageType.PUBLISH:
      case MessageType.SUBSCRIBE:
      case MessageType.UNSUBSCRIBE:
      case MessageType.CALL:
      case MessageType.CANCEL:
      case MessageType.REGISTER:
      case MessageType.UNREGISTER:
      case MessageType.YIELD:
        link.abort(ErrorUri.protocolViolation, `a client does not accept ${messageTypeName(message.type)} once the session is established`);
        return;
      default:
        message satisfies never;
    }
  }

  private settle(link: Link, request: number, reply: WampMessage): void {
    const complaint = this.requests.settle(request, reply);
    if (complaint) link.abort(ErrorUri.protocolViolation, complaint);
  }

  private goodbye(link: Link, message: Goodbye): void {
    const text = typeof message.details.message === 'string' ? message.details.message : undefined;
    // Our own GOODBYE's answer needs no reply; a router-initiated one does.
    if (!this.leaving) link.send({ type: MessageType.GOODBYE, details: {}, reason: ErrorUri.goodbyeAndOut });
    link.close({ reason: message.reason, message: text });
  }

  private request(link: Link, message: WampMessage & { request: number }, replyType: number): Promise<WampMessage> {
    const reply = this.requests.expect(message.request, message.type, replyType);
    link.send(message);
    return reply;
  }

  private sendSubscribe(link: Link, subscription: Subscription): Promise<void> {
    const message = { type: MessageType.SUBSCRIBE, request: this.ids.nextId(), options: { ...subscription.options }, topic: subscription.topic } as const;
    return this.request(link, message, MessageType.SUBSCRIBED).then((reply) => {
      if (!subscription.isActive) return this.dropLateSubscription(link, (reply as Subscribed).subscription);
      this.subscriptions.bind(subscription, (reply as Subscribed).subscription);
    });
  }

  /** The app unsubscribed while SUBSCRIBE was in flight: undo it unless another subscription shares the id. */
  private dropLateSubscription(link: Link, id: number): void {
    const shared = [...this.subscriptions.all].some((other) => other.id === id);
    if (!shared) void this.request(link, { type: MessageType.UNSUBSCRIBE, request: this.ids.nextId(), subscription: id }, MessageType.UNSUBSCRIBED).catch(() => {});
  }

  private sendRegister(link: Link, registration: Registration): Promise<void> {
    const message = { type: MessageType.REGISTER, request: this.ids.nextId(), options: { ...registration.options }, procedure: registration.procedure } as const;
    return this.request(link, message, MessageType.REGISTERED).then((reply) => {
      const id = (reply as Registered).registration;
      if (!registration.isActive) {
        void this.request(link, { type: MessageType.UNREGISTER, request: this.ids.nextId(), registration: id }, MessageType.UNREGISTERED).catch(() => {});
        return;
      }
      registration.id = id;
      this.registrationsById.set(id, registration);
    });
  }

  /** Runs `operation` on the current link, or once the session is open again after a reconnect. */
  private withLink<T>(operation: (link: Link) => Promise<T>): Promise<T> {
    if (this.link && this.connection.state === 'open') return operation(this.link);
    return this.connection.whenOpen().then(operation);
  }

  /** Misuse is reported where it happens, before anything is sent. */
  private check(operation: string, uri: unknown, match: MatchPolicy | undefined, args?: unknown, kwargs?: unknown): void {
    if (typeof uri !== 'string') throw new InvalidUriError(`${operation}: the URI must be a string, got ${uri === null ? 'null' : typeof uri}`);
    const rules = { strict: false, allowEmptyComponents: match === 'wildcard' || match === 'prefix' };
    if (match !== undefined && match !== 'exact' && match !== 'prefix' && match !== 'wildcard') {
      throw new TypeError(`${operation}: match must be "exact", "prefix" or "wildcard", got "${String(match)}"`);
    }
    if (!isValidUri(uri, rules)) throw new InvalidUriError(`${operation}: ${uriProblem(uri, rules)}`);
    if (args !== undefined && !Array.isArray(args)) throw new TypeError(`${operation} "${uri}": args must be an array, got ${typeof args}`);
    if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))) {
      throw new TypeError(`${operation} "${uri}": kwargs must be a plain object`);
    }
    if (this.leaving || this.connection.state === 'closed') {
      throw new SessionClosedError(`cannot ${operation} "${uri}": ${this.leaving ? 'the session is leaving' : this.connection.closedText()}`);
    }
  }
}
