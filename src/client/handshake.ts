import type { Codec } from '../codec/codec.js';
import type { Authenticator } from './auth/types.js';
import { detailsMessage, TransportError, WampError } from './errors.js';
import { Link } from './link.js';
import type { TransportFactory } from './transport.js';
import { ABORT, AUTHENTICATE, CHALLENGE, HELLO, WELCOME, AUTHENTICATION_FAILED_URI, PROTOCOL_VIOLATION_URI } from './wire.js';

const features = (...names: string[]): { features: Record<string, true> } => ({
  features: Object.fromEntries(names.map((name) => [name, true])),
});
const rpc = ['progressive_call_results', 'call_canceling', 'call_timeout', 'caller_identification'];

/** The roles and features this client announces in HELLO. */
const roles = {
  caller: features(...rpc),
  callee: features(...rpc, 'pattern_based_registration', 'shared_registration'),
  publisher: features('publisher_exclusion', 'subscriber_blackwhite_listing', 'publisher_identification'),
  subscriber: features('pattern_based_subscription', 'publisher_identification'),
};

export interface DialConfig {
  url: string;
  realm: string;
  codecs: readonly Codec[];
  transport: TransportFactory;
  /** A fresh one for each handshake. */
  authenticator: () => Authenticator;
  /** How long the router may take to WELCOME once the connection is open (absent: no limit); a router that goes silent is then left. */
  handshakeTimeoutMs?: number;
}

export interface Established {
  link: Link;
  session: number;
  details: Record<string, unknown>;
}

/**
 * Opens a transport and runs HELLO -> [CHALLENGE -> AUTHENTICATE] -> WELCOME. Rejects with a
 * WampError when the router ABORTs (a refusal that retrying will not change) and with a
 * TransportError when the connection fails or drops midway.
 */
export async function establish(config: DialConfig): Promise<Established> {
  const auth = config.authenticator();
  let link: Link | undefined;
  const transport = await config.transport(
    config.url,
    config.codecs.map((codec) => codec.subprotocol),
    { message: (frame) => link?.receive(frame), close: (code, reason) => link?.transportClosed(code, reason) },
  );
  const codec = config.codecs.find((candidate) => candidate.subprotocol === transport.protocol);
  if (!codec) {
    transport.close(1002, 'no subprotocol');
    throw new TransportError(`unoffered subprotocol "${transport.protocol}"`);
  }
  link = new Link(codec, transport);
  const established = link;
  const { handshakeTimeoutMs } = config;
  const timer = handshakeTimeoutMs === undefined ? undefined
    : setTimeout(() => established.close({ reason: 'lost', message: `no WELCOME within ${handshakeTimeoutMs} ms` }), handshakeTimeoutMs);

  return new Promise<Established>((resolve, reject) => {
    established.onEnd = (end) =>
      reject(
        end.reason === 'lost'
          ? new TransportError(`closed during the handshake (${end.message})`)
          : new WampError(end.reason, end.message ? [end.message] : []),
      );
    established.onMessage = (message) => {
      switch (message.type) {
        case WELCOME:
          // Nothing else arrives meanwhile: the client has asked for nothing yet.
          Promise.resolve(auth.welcomed?.(message.details)).then(
            () => {
              established.onEnd = () => {};
              resolve({ link: established, session: message.session, details: message.details });
            },
            (error: Error) => established.abort(AUTHENTICATION_FAILED_URI, error.message),
          );
          return;
        case ABORT: {
          established.onEnd = () => {};
          established.close({ reason: message.reason });
          const text = detailsMessage(message.details);
          reject(new WampError(message.reason, text === undefined ? [] : [text], {}, message.details));
          return;
        }
        case CHALLENGE:
          if (!auth.authmethods.includes(message.authMethod)) {
            established.abort(AUTHENTICATION_FAILED_URI, `challenged with "${message.authMethod}", not "${auth.authmethods.join('" or "')}"`);
            return;
          }
          auth.respond(message.authMethod, message.extra).then(
            (signature) => established.send({ type: AUTHENTICATE, signature, extra: {} }),
            (error: Error) => established.abort(AUTHENTICATION_FAILED_URI, error.message),
          );
          return;
        default:
          established.abort(PROTOCOL_VIOLATION_URI, `message type ${message.type} during the handshake`);
      }
    };
    const details: Record<string, unknown> = { roles, agent: 'junction-client', authmethods: auth.authmethods };
    if (auth.authid !== undefined) details.authid = auth.authid;
    if (auth.authextra !== undefined) details.authextra = auth.authextra;
    established.send({ type: HELLO, realm: config.realm, details });
  }).finally(() => clearTimeout(timer));
}
