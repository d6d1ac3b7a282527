import WebSocket from 'ws';

/**
 * What the bench's WebSocket clients of non-WAMP-v2 doors share (pusher-client.mjs,
 * wamp1-client.mjs): a connection over raw `ws` that is ready once the server greets it
 * (Pusher's connection_established, WAMP v1's WELCOME), closed with a close handshake or dropped.
 */

const GREETING_TIMEOUT_MS = 10_000;

export class WebSocketPeer {
  constructor(ws) {
    this.ws = ws;
    this.onGreeting = null; // set by openPeer; the subclass calls it on the server's greeting
  }

  get closed() {
    return this.ws.readyState !== WebSocket.OPEN;
  }

  close() {
    this.ws.close();
  }

  /** Cuts the TCP connection, no close handshake (a crashed page). */
  drop() {
    this.ws.terminate();
  }
}

/** Opens `url` and resolves to makePeer(ws) once the peer has had its server's `greeting`, within GREETING_TIMEOUT_MS. */
export function openPeer(url, protocols, makePeer, greeting) {
  const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
  const peer = makePeer(ws);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no ${greeting} within ${GREETING_TIMEOUT_MS} ms`));
    }, GREETING_TIMEOUT_MS);
    ws.once('error', reject);
    ws.once('close', (code, reason) => reject(new Error(`closed before ${greeting} (${code} ${reason})`)));
    peer.onGreeting = () => {
      clearTimeout(timer);
      ws.removeListener('error', reject);
      ws.on('error', () => {});
      resolve(peer);
    };
  });
}
