import WebSocket from 'ws';
import { codecNamed } from '../lib/codecs.mjs';
import { WampSession } from './wamp-session.mjs';
import { signInWith } from './auth.mjs';

/** A WAMP session (wamp-session.mjs) over raw `ws`, subprotocol wamp.2.<serializer>. */
/** `localAddress`: the source address (127.0.0.x), to open more connections than one address has ports. */
/** `auth`: { method, authid, secret } to sign in with ticket or WAMP-CRA (auth.mjs); anonymous without. */
/** The session's `ended` resolves once the WebSocket is closed. */
export function connectWamp({ url, realm = 'realm1', serializer = 'json', localAddress, auth }) {
  const codec = codecNamed(serializer);
  const ws = new WebSocket(url, [`wamp.2.${codec.name}`], { perMessageDeflate: false, skipUTF8Validation: true, localAddress });
  const link = {
    send: (encoded) => ws.send(encoded, { binary: codec.binary }),
    close: () => ws.close(),
    drop: () => ws.terminate(),
    isOpen: () => ws.readyState === WebSocket.OPEN,
  };
  const session = new WampSession(link, codec);
  session.ended = new Promise((resolve) => ws.once('close', resolve));
  ws.on('message', (data) => session.receive(codec.decode(data)));
  ws.on('close', (code, reason) => session.linkClosed(`${code} ${reason}`));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => {
      session.join(realm, signInWith(auth)).then(
        () => {
          ws.removeListener('error', reject);
          ws.on('error', () => {});
          resolve(session);
        },
        reject,
      );
    });
  });
}
