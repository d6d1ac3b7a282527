import WebSocket from 'ws';
import { codecNamed } from '../lib/codecs.mjs';

/**
 * The smallest WAMP v2 client the load generators need: one session over raw `ws`, speaking
 * HELLO/WELCOME, SUBSCRIBE/EVENT, PUBLISH with acknowledge, REGISTER/INVOCATION/YIELD and
 * CALL/RESULT. It keeps no options, retries or features, so its per-message cost stays far
 * below the router's.
 */

const HELLO = 1;
const WELCOME = 2;
const ABORT = 3;
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

export function connectWamp({ url, realm = 'realm1', serializer = 'json' }) {
  const codec = codecNamed(serializer);
  const ws = new WebSocket(url, [`wamp.2.${codec.name}`], { perMessageDeflate: false, skipUTF8Validation: true });
  const session = new WampSession(ws, codec);
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`closed before WELCOME (${code} ${reason})`)));
    ws.once('open', () => session.send([HELLO, realm, { roles: ROLES }]));
    session.onWelcome = () => {
      ws.removeListener('error', reject);
      ws.removeAllListeners('close');
      ws.on('close', () => session.failAll(new Error('connection closed')));
      ws.on('error', () => {});
      resolve(session);
    };
    session.onAbort = (reason) => reject(new Error(`ABORT ${reason}`));
  });
}

class WampSession {
  constructor(ws, codec) {
    this.ws = ws;
    this.codec = codec;
    this.nextRequestId = 1;
    this.pending = new Map(); // request id -> { resolve, reject }
    this.eventHandlers = new Map(); // subscription id -> handler(args)
    this.procedures = new Map(); // registration id -> handler(args) returning args
    this.onWelcome = null;
    this.onAbort = null;
    ws.on('message', (data) => this.receive(codec.decode(data)));
  }

  send(message) {
    this.ws.send(this.codec.encode(message), { binary: this.codec.binary });
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
    if (!waiter) return;
    this.pending.delete(requestId);
    waiter.resolve(value);
  }

  failAll(error) {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  receive(message) {
    switch (message[0]) {
      case EVENT: {
        const handler = this.eventHandlers.get(message[1]);
        if (handler) handler(message[4] ?? []);
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
        if (!waiter) return;
        this.pending.delete(message[2]);
        waiter.reject(new Error(`${message[4]} ${JSON.stringify(message[5] ?? [])}`));
        return;
      }
      case WELCOME:
        return this.onWelcome?.(message[1]);
      case ABORT:
        this.onAbort?.(message[2]);
        return this.ws.close();
      case GOODBYE:
        this.send([GOODBYE, {}, 'wamp.close.goodbye_and_out']);
        return this.ws.close();
    }
  }

  async subscribe(topic, onEvent) {
    const subscriptionId = await this.request([SUBSCRIBE, 0, {}, topic]);
    this.eventHandlers.set(subscriptionId, onEvent);
  }

  publish(topic, args) {
    return this.request([PUBLISH, 0, { acknowledge: true }, topic, args]);
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
    return this.ws.readyState !== WebSocket.OPEN;
  }

  close() {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.send([GOODBYE, {}, 'wamp.close.normal']);
    this.ws.close();
  }
}
