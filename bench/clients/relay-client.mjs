import WebSocket from 'ws';
import { codecNamed } from '../lib/codecs.mjs';

/**
 * Client for the plain ws relay (servers/relay-server.mjs). Frames are small arrays in the same
 * serializer as the WAMP run, so relay and router differ only in what the protocol adds:
 *   ['sub', id, topic] -> ['ok', id]          ['pub', id, topic, args] -> ['ok', id]
 *   subscribers get ['ev', topic, args]      ['reg', id, proc] -> ['ok', id]
 *   ['call', id, proc, args] -> callee gets ['inv', invocationId, args],
 *   callee answers ['yield', invocationId, args] -> caller gets ['res', id, args]
 *   any request may get ['err', id, reason]
 */

export function connectRelay({ url, serializer = 'json', localAddress }) {
  const codec = codecNamed(serializer);
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true, localAddress });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      ws.removeListener('error', reject);
      ws.on('error', () => {});
      resolve(new RelayClient(ws, codec));
    });
  });
}

class RelayClient {
  constructor(ws, codec) {
    this.ws = ws;
    this.codec = codec;
    this.nextRequestId = 1;
    this.pending = new Map(); // request id -> { resolve, reject }
    this.eventHandlers = new Map(); // topic -> handler(args)
    this.procedure = null;
    this.unexpectedAnswers = 0; // answers to no open request: duplicates, or answers to nothing asked
    this.ended = new Promise((resolve) => ws.once('close', resolve));
    ws.on('message', (data) => this.receive(codec.decode(data)));
    ws.on('close', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('connection closed'));
      this.pending.clear();
    });
  }

  send(frame) {
    this.ws.send(this.codec.encode(frame), { binary: this.codec.binary });
  }

  request(frame) {
    const requestId = this.nextRequestId++;
    frame[1] = requestId;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.send(frame);
    });
  }

  receive(frame) {
    switch (frame[0]) {
      case 'ev': {
        const handler = this.eventHandlers.get(frame[1]);
        if (handler) handler(frame[2]);
        return;
      }
      case 'inv':
        if (this.procedure) this.send(['yield', frame[1], this.procedure(frame[2])]);
        return;
      case 'ok':
      case 'res':
      case 'err': {
        const waiter = this.pending.get(frame[1]);
        if (!waiter) {
          this.unexpectedAnswers++;
          return;
        }
        this.pending.delete(frame[1]);
        if (frame[0] === 'err') waiter.reject(new Error(frame[2]));
        else waiter.resolve(frame[2]);
        return;
      }
    }
  }

  async subscribe(topic, onEvent) {
    await this.request(['sub', 0, topic]);
    this.eventHandlers.set(topic, onEvent);
  }

  publish(topic, args) {
    return this.request(['pub', 0, topic, args]);
  }

  async register(procedure, handler) {
    await this.request(['reg', 0, procedure]);
    this.procedure = handler;
  }

  call(procedure, args) {
    return this.request(['call', 0, procedure, args]);
  }

  /** True once the connection is gone: nothing sent now would be answered. */
  get closed() {
    return this.ws.readyState !== WebSocket.OPEN;
  }

  close() {
    this.ws.close();
  }
}
