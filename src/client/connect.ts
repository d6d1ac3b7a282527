import type { Codec, CodecName } from '../codec/codec.js';
import type { AuthOptions, Authenticator } from './auth/types.js';
import { reconnectPolicy } from './backoff.js';
import { Connection, type DialTarget } from './connection.js';
import { checkUri } from './errors.js';
import { Session, type HandlerErrorReporter } from './session.js';
import type { TransportFactory } from './transport.js';
import type { LongPollOptions } from './transports/longpoll.js';
import type { ReconnectOptions, TransportOptions } from './types.js';

export interface ConnectOptions {
  /** ws:// or wss:// URL of the router's WebSocket endpoint; or give `transports`. */
  url?: string;
  /**
   * Instead of `url`: transports to try in order, e.g. [{type: 'websocket', url: 'wss://...'},
   * {type: 'longpoll', url: 'https://.../lp'}]. One that fails before the session opens gives
   * way to the next at once; every reconnection starts again from the first.
   */
  transports?: readonly TransportOptions[];
  realm: string;
  /** Serializers to offer, in order of preference: codec objects or names available in this build. */
  serializers?: readonly (Codec | CodecName)[];
  auth?: AuthOptions;
  /** Reconnect after a lost connection (on by default); `false` turns it off. */
  reconnect?: ReconnectOptions | boolean;
  /** Replaces the platform WebSocket (for every websocket entry), e.g. with an in-memory transport in tests. */
  transport?: TransportFactory;
  /** Where errors thrown by event handlers go; console.error by default. */
  onHandlerError?: HandlerErrorReporter;
}

/** What an entry point (Node, browser, JSON-only browser) brings: its transport and its codecs. */
export interface Platform {
  transport: TransportFactory;
  /** Makes a long-poll factory; by default the long-poll code is loaded on first use (transports/targets.ts). */
  longPoll?: (options: LongPollOptions) => TransportFactory;
  codecs: readonly Codec[];
}

function resolveSerializers(requested: ConnectOptions['serializers'], available: readonly Codec[]): Codec[] {
  const codecs = (requested ?? available).map((entry) => (typeof entry === 'string' ? available.find((codec) => codec.name === entry) : entry));
  if (codecs.length === 0 || codecs.includes(undefined)) {
    throw new TypeError(`connect: serializers must be some of ${available.map((codec) => codec.name).join(', ')} (in this build), got ${JSON.stringify(requested)}`);
  }
  return codecs as Codec[];
}

const anonymous = (): Authenticator => ({ authmethods: ['anonymous'], respond: async () => '' });

const defaultReporter: HandlerErrorReporter = (error, where) => console.error(`handler for "${where}" threw`, error);

/**
 * Opens a session. The first connection is tried once: its failure rejects (a TransportError,
 * or a WampError when the router refuses). Later losses are retried per `reconnect`.
 */
export async function connectWith(platform: Platform, options: ConnectOptions): Promise<Session> {
  const { url, realm, transports } = options;
  if (!transports && (typeof url !== 'string' || !/^wss?:\/\//i.test(url))) throw new TypeError(`connect: url must start with ws:// or wss://, got ${JSON.stringify(url)}`);
  const websocket = options.transport ?? platform.transport;
  // The list form is loaded on demand: the JSON-only bundle has no room for it (size budget).
  const targets: DialTarget[] = transports
    ? (await import('./transports/targets.js')).dialTargets(transports, url, websocket, platform.longPoll)
    : [{ type: 'websocket', url: url!, transport: websocket }];
  checkUri('connect: realm', realm);
  const codecs = resolveSerializers(options.serializers, platform.codecs);
  const policy = reconnectPolicy(options.reconnect);
  // Auth methods are loaded on demand too: an anonymous page needs none of their code.
  const authenticator = options.auth ? await (await import('./auth/index.js')).authenticator(options.auth) : anonymous;
  const config = { targets, realm, codecs, authenticator };
  const session = new Session((hooks) => new Connection(config, policy, hooks), realm, options.onHandlerError ?? defaultReporter);
  await session.start();
  return session;
}
