import WebSocket from 'ws';

/**
 * A minimal Socket.IO v5 / Engine.IO v4 client over raw `ws` (websocket transport only, default
 * namespace, text packets), so the Socket.IO load generators cost about what the WAMP and relay
 * ones do. Packets on the wire: Engine.IO type digit ("0" open, "2" ping, "3" pong, "4" message),
 * then for messages the Socket.IO type digit ("0" connect, "2" event, "3" ack, "4" connect error),
 * an optional ack id, and a JSON array.
 * Server side (servers/socketio-server.mjs): 'sub' topic (ack), 'pub' topic args (ack) broadcasting
 * 'ev' args to the room, 'reg' (ack), 'call' args (ack with the callee's reply), 'inv' args (ack).
 */

export function connectSocketIo({ url }) {
  const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true });
  const client = new SocketIoClient(ws);
  return new Promise((resolve, reject) => {
    const closedEarly = (code) => reject(new Error(`closed before CONNECT (${code})`));
    ws.once('error', reject);
    ws.once('close', closedEarly);
    client.onConnected = () => {
      ws.removeListener('error', reject);
      ws.removeListener('close', closedEarly);
      ws.on('error', () => {});
      ws.on('close', () => client.failAll(new Error('connection closed')));
      resolve(client);
    };
    client.onConnectError = (reason) => reject(new Error(`CONNECT_ERROR ${reason}`));
  });
}

class SocketIoClient {
  constructor(ws) {
    this.ws = ws;
    this.nextAckId = 0;
    this.pending = new Map(); // ack id -> { resolve, reject }
    this.eventHandlers = new Map(); // event name -> handler(args, ackId)
    this.onConnected = null;
    this.onConnectError = null;
    this.unexpectedAnswers = 0; // answers to no open request: duplicates, or answers to nothing asked
    this.ended = new Promise((resolve) => ws.once('close', resolve));
    ws.on('message', (data) => this.receive(data.toString()));
  }

  receive(text) {
    switch (text.charCodeAt(0)) {
      case 0x34: // "4" message
        return this.receivePacket(text);
      case 0x30: // "0" open: join the default namespace
        return this.ws.send('40');
      case 0x32: // "2" ping
        return this.ws.send('3');
    }
  }

  receivePacket(text) {
    const type = text.charCodeAt(1);
    if (type === 0x30) return this.onConnected?.(); // "0" connect
    if (type === 0x34) return this.onConnectError?.(text.slice(2)); // "4" connect error
    const json = text.indexOf('[');
    if (json < 0) return;
    const ackId = json > 2 ? Number(text.slice(2, json)) : -1;
    const payload = JSON.parse(text.slice(json));
    if (type === 0x32) { // "2" event: [name, ...args]
      const handler = this.eventHandlers.get(payload[0]);
      if (handler) handler(payload[1], ackId);
    } else if (type === 0x33) { // "3" ack: [...args]
      const waiter = this.pending.get(ackId);
      if (!waiter) {
        this.unexpectedAnswers++;
        return;
      }
      this.pending.delete(ackId);
      waiter.resolve(payload[0]);
    }
  }

  failAll(error) {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }

  emitWithAck(event, ...args) {
    const ackId = this.nextAckId++;
    return new Promise((resolve, reject) => {
      this.pending.set(ackId, { resolve, reject });
      this.ws.send(`42${ackId}${JSON.stringify([event, ...args])}`);
    });
  }

  async subscribe(topic, onEvent) {
    this.eventHandlers.set('ev', onEvent);
    await this.emitWithAck('sub', topic);
  }

  publish(topic, args) {
    return this.emitWithAck('pub', topic, args);
  }

  async register(procedure, handler) {
    this.eventHandlers.set('inv', (args, ackId) => {
      this.ws.send(`43${ackId}${JSON.stringify([handler(args)])}`);
    });
    await this.emitWithAck('reg', procedure);
  }

  call(procedure, args) {
    return this.emitWithAck('call', procedure, args);
  }

  /** True once the connection is gone: nothing sent now would be answered. */
  get closed() {
    return this.ws.readyState !== WebSocket.OPEN;
  }

  close() {
    this.ws.close();
  }
}
