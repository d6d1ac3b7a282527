/**
 * The smallest WAMP v2 session the load generators need, independent of the transport:
 * HELLO/WELCOME, SUBSCRIBE/EVENT, PUBLISH with acknowledge, REGISTER/INVOCATION/YIELD and
 * CALL/RESULT. It keeps no options, retries or features, so its per-message cost stays far below
 * the router's. A transport (wamp-client.mjs: WebSocket, rawsocket-client.mjs: RawSocket,
 * longpoll-client.mjs: HTTP long-poll) gives it a `link` and feeds it decoded messages:
 *
 *   link.send(encoded)  writes one encoded message (what codec.encode returned)
 *   link.close()        ends the connection
 *   link.isOpen()       false once nothing sent would be answered
 *   link.drop()         (optional) cuts the connection without a goodbye, as a crashed client would
 *
 * and calls session.receive(message) for each message and session.linkClosed(why) once.
 *
 * join(realm, auth) signs in with `auth` = { authid, authmethod, sign(extra) -> signature } when
 * given (clients/auth.mjs makes one for ticket and WAMP-CRA), anonymously otherwise.
 */

const HELLO = 1;
const WELCOME = 2;
const ABORT = 3;
const CHALLENGE = 4;
const AUTHENTICATE = 5;
const GOODBYE = 6;
const ERROR = 8;
const PUBLISH = 16;
const PUBLISHED = 17;
const SUBSCRIBE = 32;
const SUBSCRIBED = 33;
const EVENT = 36;
const CALL = 48;
const RESULT = 50;
const REGISTER = 64;
const REGISTERED = 65;
const INVOCATION = 68;
const YIELD = 70;

const ROLES = { publisher: {}, subscriber: {}, caller: {}, callee: {} };

export class WampSession {
  constructor(link, codec) {
    this.link = link;
    this.codec = codec;
    this.nextRequestId = 1;
    this.pending = new Map(); // request id -> { resolve, reject }
    this.eventHandlers = new Map(); // subscription id -> handler(args)
    this.procedures = new Map(); // registration id -> handler(args) returning args
    this.opening = null; // { resolve, reject } until WELCOME or ABORT
    this.unexpectedAnswers = 0; // answers to no open request: duplicates, or answers to nothing asked
    this.unexpectedEvents = 0; // events for no subscription held
    this.welcomeDetails = undefined; // WELCOME.Details once joined (x_junction_node: which node answered)
  }

  /** Sends HELLO; resolves to this session on WELCOME, rejects on ABORT or when the link closes first. */
  join(realm, auth) {
    this.auth = auth;
    const details = auth ? { roles: ROLES, authmethods: [auth.authmethod], authid: auth.authid } : { roles: ROLES };
    return new Promise((resolve, reject) => {
      this.opening = { resolve, reject };
      this.send([HELLO, realm, details]);
    });
  }

  send(message) {
    this.link.send(this.codec.encode(message));
  }

  request(message) {
    const requestId = this.nextRequestId++;
    message[1] = requestId;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.send(message);
    });
  }

  settle(requestId, value) {
    const waiter = this.pending.get(requestId);
    if (!waiter) {
      this.unexpectedAnswers++;
      return;
    }
    this.pending.delete(requestId);
    waiter.resolve(value);
  }

  /** The transport is gone: every open request fails, and so does a join still waiting. */
  linkClosed(why) {
    const error = new Error(`connection closed (${why})`);
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    this.opening?.reject(new Error(`closed before WELCOME (${why})`));
    this.opening = null;
  }

  receive(message) {
    switch (message[0]) {
      case EVENT: {
        const handler = this.eventHandlers.get(message[1]);
        if (handler) handler(message[4] ?? []);
        else this.unexpectedEvents++;
        return;
      }
      case RESULT:
        return this.settle(message[1], message[3] ?? []);
      case PUBLISHED:
        return this.settle(message[1], message[2]);
      case INVOCATION: {
        const procedure = this.procedures.get(message[2]);
        if (procedure) this.send([YIELD, message[1], {}, procedure(message[4] ?? [])]);
        return;
      }
      case SUBSCRIBED:
      case REGISTERED:
        return this.settle(message[1], message[2]);
      case ERROR: {
        const waiter = this.pending.get(message[2]);
        if (!waiter) {
          this.unexpectedAnswers++;
          return;
        }
        this.pending.delete(message[2]);
        waiter.reject(new Error(`${message[4]} ${JSON.stringify(message[5] ?? [])}`));
        return;
      }
      case CHALLENGE:
        if (!this.auth) return this.link.close();
        return this.send([AUTHENTICATE, this.auth.sign(message[2] ?? {}), {}]);
      case WELCOME:
        this.welcomeDetails = message[2] ?? {};
        this.opening?.resolve(this);
        this.opening = null;
        return;
      case ABORT:
        this.opening?.reject(new Error(`ABORT ${message[2]}`));
        this.opening = null;
        return this.link.close();
      case GOODBYE:
        this.send([GOODBYE, {}, 'wamp.close.goodbye_and_out']);
        return this.link.close();
    }
  }

  /** Resolves to the subscription id once SUBSCRIBED. */
  async subscribe(topic, onEvent) {
    const subscriptionId = await this.request([SUBSCRIBE, 0, {}, topic]);
    this.eventHandlers.set(subscriptionId, onEvent);
    return subscriptionId;
  }

  /** `options.everyone`: deliver to the publisher too if it subscribed (WAMP's exclude_me false). */
  publish(topic, args, options) {
    return this.request([PUBLISH, 0, options?.everyone ? { acknowledge: true, exclude_me: false } : { acknowledge: true }, topic, args]);
  }

  async register(procedure, handler) {
    const registrationId = await this.request([REGISTER, 0, {}, procedure]);
    this.procedures.set(registrationId, handler);
  }

  call(procedure, args) {
    return this.request([CALL, 0, {}, procedure, args]);
  }

  /** True once the connection is gone: nothing sent now would be answered. */
  get closed() {
    return !this.link.isOpen();
  }

  close() {
    if (!this.link.isOpen()) return;
    this.send([GOODBYE, {}, 'wamp.close.normal']);
    this.link.close();
  }

  /** Ends the connection with no GOODBYE and no close handshake (a crashed client). */
  drop() {
    this.link.drop();
  }
}
