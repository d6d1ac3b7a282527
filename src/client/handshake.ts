import type { Codec } from '../codec/codec.js';
import { MessageType } from '../protocol/codes.js';
import { ErrorUri } from '../protocol/errors.js';
import type { Authenticator } from './auth/types.js';
import { TransportError, WampError } from './errors.js';
import { Link } from './link.js';
import type { TransportFactory } from './transport.js';

/** The roles and features this client announces in HELLO. */
const roles = {
  caller: { features: { progressive_call_results: true, call_canceling: true, call_timeout: true, caller_identification: true } },
  callee: {
    features: {
      progressive_call_results: true,
      call_canceling: true,
      call_timeout: true,
      caller_identification: true,
      pattern_based_registration: true,
      shared_registration: true,
    },
  },
  publisher: { features: { publisher_exclusion: true, subscriber_blackwhite_listing: true, publisher_identification: true } },
  subscriber: { features: { pattern_based_subscription: true, publisher_identification: true } },
};

export interface DialConfig {
  url: string;
  realm: string;
  codecs: readonly Codec[];
  transport: TransportFactory;
  authenticator: Authenticator;
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
  const { authenticator: auth } = config;
  let link: Link | undefined;
  const transport = await config.transport(
    config.url,
    config.codecs.map((codec) => codec.subprotocol),
    { message: (frame) => link?.receive(frame), close: (code, reason) => link?.transportClosed(code, reason) },
  );
  const codec = config.codecs.find((candidate) => candidate.subprotocol === transport.protocol);
  if (!codec) {
    transport.close(1002, 'no subprotocol');
    throw new TransportError(
      `the router at ${config.url} chose subprotocol "${transport.protocol}", not one of ${config.codecs.map((c) => c.subprotocol).join(', ')}`,
    );
  }
  link = new Link(codec);
  link.attach(transport);
  const established = link;

  return new Promise<Established>((resolve, reject) => {
    established.onEnd = (end) =>
      reject(
        end.reason === 'lost'
          ? new TransportError(`the connection closed during the handshake (${end.message})`)
          : new WampError(end.reason, end.message ? [end.message] : []),
      );
    established.onMessage = (message) => {
      switch (message.type) {
        case MessageType.WELCOME:
          established.onEnd = () => {};
          resolve({ link: established, session: message.session, details: message.details });
          return;
        case MessageType.ABORT:
          established.onEnd = () => {};
          established.close({ reason: message.reason });
          reject(new WampError(message.reason, typeof message.details.message === 'string' ? [message.details.message] : [], {}, message.details));
          return;
        case MessageType.CHALLENGE:
          auth.respond(message.authMethod, message.extra).then(
            (signature) => established.send({ type: MessageType.AUTHENTICATE, signature, extra: {} }),
            (error: Error) => established.abort(ErrorUri.authenticationFailed, `cannot answer the ${message.authMethod} challenge: ${error.message}`),
          );
          return;
        default:
          established.abort(ErrorUri.protocolViolation, `unexpected message type ${message.type} during the handshake`);
      }
    };
    const details: Record<string, unknown> = { roles, agent: 'junction-client', authmethods: auth.authmethods };
    if (auth.authid !== undefined) details.authid = auth.authid;
    if (auth.authextra !== undefined) details.authextra = auth.authextra;
    established.send({ type: MessageType.HELLO, realm: config.realm, details });
  });
}
