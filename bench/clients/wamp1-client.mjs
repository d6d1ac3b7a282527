import { WebSocketPeer, openPeer } from './ws-peer.mjs';

/**
 * A WAMP v1 page as AutobahnJS 0.8 is one (docs/legacy.md), over raw `ws` with the subprotocol
 * `wamp`: WELCOME [0, sessionId, 1, ident] on open, then
 *
 *   subscribe(topic, onEvent(event))  SUBSCRIBE [5, topic] (v1 has no answer to it);
 *   publish(topic, event, { excludeMe }) PUBLISH [7, topic, event, excludeMe];
 *   call(procedure, ...args)           CALL [2, callId, procedure, ...args], resolving to the
 *                                      CALLRESULT's result, rejecting on CALLERROR;
 *   close(); drop() the TCP connection cut (ws-peer.mjs).
 */

export function connectWamp1({ url }) {
  return openPeer(url, ['wamp'], (ws) => new Wamp1Page(ws), 'a v1 WELCOME');
}

class Wamp1Page extends WebSocketPeer {
  constructor(ws) {
    super(ws);
    this.sessionId = null;
    this.nextCall = 0;
    this.calls = new Map(); // callId -> { resolve, reject }
    this.handlers = new Map(); // topic -> onEvent
    ws.on('message', (data) => this.receive(JSON.parse(String(data))));
    ws.on('close', (code, reason) => {
      for (const waiter of this.calls.values()) waiter.reject(new Error(`connection closed (${code} ${reason})`));
      this.calls.clear();
    });
  }

  receive(message) {
    switch (message[0]) {
      case 0:
        this.sessionId = message[1];
        return this.onGreeting?.();
      case 3:
      case 4: {
        const waiter = this.calls.get(message[1]);
        this.calls.delete(message[1]);
        if (message[0] === 3) waiter?.resolve(message[2]);
        else waiter?.reject(new Error(`CALLERROR ${message[2]} ${message[3]}`));
        return;
      }
      case 8:
        return this.handlers.get(message[1])?.(message[2]);
    }
  }

  send(message) {
    this.ws.send(JSON.stringify(message));
  }

  subscribe(topic, onEvent) {
    this.handlers.set(topic, onEvent);
    this.send([5, topic]);
  }

  publish(topic, event, { excludeMe = true } = {}) {
    this.send([7, topic, event, excludeMe]);
  }

  call(procedure, ...args) {
    const callId = `c${++this.nextCall}`;
    return new Promise((resolve, reject) => {
      this.calls.set(callId, { resolve, reject });
      this.send([2, callId, procedure, ...args]);
    });
  }
}
