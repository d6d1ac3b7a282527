import type { WebSocket } from 'ws';
import { jsonCodec } from '../../codec/json.js';
import { ErrorUri } from '../../protocol/errors.js';
import type { Args, Dict } from '../../protocol/messages.js';
import { InternalCallError, type InternalSession } from '../../router/internal-session.js';
import { WarningThrottle } from '../../router/limits/warning-throttle.js';
import type { Logger } from '../../router/log.js';
import type { TransportInfo } from '../../router/peer.js';
import { parseWamp1, Wamp1ProtocolError, Wamp1Type, type Wamp1ClientMessage } from './messages.js';
import { PrefixTable, type UriMapping } from './uri-mapping.js';
import { onCloseFrame } from '../ws-close-frame.js';
import { plural } from '../../protocol/plural.js';

export interface Wamp1Settings {
  mapping: UriMapping;
  /** PREFIX entries one session may define. */
  maxPrefixes: number;
  /** Slow-consumer limit: bytes waiting to be written to the connection. */
  maxBufferedBytes: number;
  /** Sent in WELCOME as serverIdent. */
  serverIdent: string;
  /** The router's max_nesting_depth, as for v2 messages. */
  maxNestingDepth: number;
}

export interface Wamp1Hooks {
  /** Joins the configured realm and role as an ordinary, untrusted session. */
  join(transport: TransportInfo): Promise<InternalSession>;
  onSlowConsumer(): void;
  /** A PREFIX past max_prefixes (the connection is closed). */
  onTooManyPrefixes(): void;
}

/** 1008 (policy violation) carries every protocol refusal; the reason says which. */
const POLICY_VIOLATION = 1008;

/**
 * One WAMP v1 client: a router session of its own, joined when the WebSocket opens, to which
 * the client's v1 messages are translated (PREFIX is kept here, the rest become CALL, SUBSCRIBE,
 * UNSUBSCRIBE and PUBLISH) and whose EVENTs, RESULTs and ERRORs go back as v1 messages. The
 * session goes when the connection does, and the connection when the router closes the session.
 */
export function serveWamp1(ws: WebSocket, transport: TransportInfo, settings: Wamp1Settings, hooks: Wamp1Hooks, log: Logger): void {
  const prefixes = new PrefixTable(settings.maxPrefixes);
  /** Subscriptions by the topic as the client named it (expanded), for UNSUBSCRIBE and EVENT. */
  const subscriptions = new Map<string, Promise<number | undefined>>();
  /** v1 has no answer to a refused SUBSCRIBE: it is logged, but not once per message. */
  const subscriptionRefusals = new WarningThrottle();
  let session: InternalSession | undefined;
  let open = true;

  const send = (message: unknown[]): void => {
    if (!open) return;
    if (ws.bufferedAmount > settings.maxBufferedBytes) {
      hooks.onSlowConsumer();
      log.warn({ bufferedBytes: ws.bufferedAmount, limitBytes: settings.maxBufferedBytes }, 'WAMP v1 client is not reading; connection closed (1008)');
      return close(POLICY_VIOLATION, 'slow consumer: the send buffer passed max_buffered_bytes');
    }
    ws.send(jsonCodec.encode(message) as string);
  };
  const close = (code: number, reason: string): void => {
    if (!open) return;
    open = false;
    ws.close(code, reason.slice(0, 120)); // a close reason fits in 123 bytes
    ws.resume(); // a refused join never resumed: read the client's closing frame, or the handshake waits out ws's 30 s close timeout
  };
  const uri = (name: string): string => settings.mapping.toV2(prefixes.expand(name));

  const handle = (message: Wamp1ClientMessage, current: InternalSession): void => {
    switch (message.type) {
      case Wamp1Type.PREFIX:
        if (!prefixes.set(message.prefix, message.uri)) {
          hooks.onTooManyPrefixes();
          log.warn({ limit: settings.maxPrefixes }, 'WAMP v1 client defined more prefixes than max_prefixes; connection closed');
          close(POLICY_VIOLATION, `more than ${plural(settings.maxPrefixes, 'prefix', 'prefixes')} (max_prefixes)`);
        }
        return;
      case Wamp1Type.CALL:
        current.call(uri(message.procedure), message.args).then(
          (result) => send([Wamp1Type.CALLRESULT, message.callId, v1Value(result.args, result.kwargs)]),
          (error: Error) => send(callError(message.callId, error, settings.mapping)),
        );
        return;
      case Wamp1Type.SUBSCRIBE: {
        const topic = prefixes.expand(message.topic);
        if (subscriptions.has(topic)) return;
        const subscribing = current
          .subscribe(settings.mapping.toV2(topic), (args, kwargs) => send([Wamp1Type.EVENT, topic, v1Value(args, kwargs)]))
          .catch((error: Error) => {
            // v1 has no answer to SUBSCRIBE: the refusal is logged, and a later SUBSCRIBE tries again.
            subscriptions.delete(topic);
            const refused = subscriptionRefusals.record(performance.now());
            if (refused !== undefined) {
              log.info({ topic, reason: error.message, refused },
                'WAMP v1 subscription refused (this connection\'s further refusals are counted, and logged at most every 10 s)');
            }
            return undefined;
          });
        subscriptions.set(topic, subscribing);
        return;
      }
      case Wamp1Type.UNSUBSCRIBE: {
        const topic = prefixes.expand(message.topic);
        const subscribing = subscriptions.get(topic);
        subscriptions.delete(topic);
        void subscribing?.then((id) => (id === undefined ? undefined : current.unsubscribe(id))).catch(() => undefined);
        return;
      }
      case Wamp1Type.PUBLISH:
        current.publish(uri(message.topic), [message.event], undefined, publishOptions(message));
        return;
    }
  };

  ws.pause(); // nothing is read before the session exists
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    // Once we close, frames already on their way are not acted on: nothing routed, nothing counted twice.
    if (!session || !open) return;
    try {
      if (isBinary) throw new Wamp1ProtocolError('WAMP v1 speaks JSON in text frames; got a binary frame');
      handle(parseWamp1(data.toString('utf8'), settings.maxNestingDepth), session);
    } catch (error) {
      if (error instanceof Wamp1ProtocolError) {
        log.info({ reason: error.message }, 'WAMP v1 protocol violation; connection closed');
        return close(POLICY_VIOLATION, error.message);
      }
      log.error({ err: (error as Error).message }, 'WAMP v1 message handling failed; connection closed');
      close(1011, 'internal error');
    }
  });
  ws.on('error', (error: Error) => log.warn({ err: error.message }, 'WebSocket error on a WAMP v1 connection; connection closed'));
  // At the client's close frame, or the connection's end if it sends none (ws-close-frame.ts).
  let left = false;
  const leave = (): void => {
    open = false;
    if (left) return;
    left = true;
    session?.leave(); // none yet: the join, once done, leaves (open is false)
  };
  onCloseFrame(ws, leave);
  ws.on('close', leave);
  hooks.join(transport).then(
    (joined) => {
      session = joined;
      void joined.closed.then(() => close(1001, 'the session was closed by the router'));
      if (!open) return joined.leave(); // the client left while the session was joining
      send([Wamp1Type.WELCOME, String(joined.sessionId), 1, settings.serverIdent]);
      ws.resume();
    },
    (error: Error) => {
      // The router is shutting down: 1001 (going away), as for a session it closes; not a failure of ours.
      if (error instanceof InternalCallError && error.uri === ErrorUri.systemShutdown) return close(1001, `could not join: ${error.message}`);
      log.warn({ reason: error.message }, 'WAMP v1 session could not join');
      close(1011, `could not join: ${error.message}`);
    },
  );
}

/**
 * A v2 payload as v1's single value: the one positional argument, or the keyword arguments, or
 * the list of arguments when there are several; {args, kwargs} when there are both; null for none.
 */
export function v1Value(args: Args, kwargs: Dict): unknown {
  const hasKwargs = Object.keys(kwargs).length > 0;
  if (!hasKwargs) return args.length === 0 ? null : args.length === 1 ? args[0] : args;
  return args.length === 0 ? kwargs : { args, kwargs };
}

/** CALLERROR [4, callId, errorUri, errorDesc, errorDetails?]: desc from args[0], details from kwargs or the other args. */
export function callError(callId: string, error: Error, mapping: UriMapping): unknown[] {
  if (!(error instanceof InternalCallError)) return [Wamp1Type.CALLERROR, callId, 'wamp.error.runtime_error', error.message];
  const [first, ...others] = error.args;
  const description = typeof first === 'string' ? first : error.uri;
  const details = Object.keys(error.kwargs).length > 0 ? error.kwargs : others.length === 0 ? undefined : others.length === 1 ? others[0] : others;
  const message = [Wamp1Type.CALLERROR, callId, mapping.toV1(error.uri), description];
  return details === undefined ? message : [...message, details];
}

/**
 * v1 publisher exclusion as v2 options: without a fourth element the publisher is left out (as
 * v1 servers do); `true`/`false` says so explicitly; lists of session IDs exclude and allow.
 */
function publishOptions(message: Extract<Wamp1ClientMessage, { type: typeof Wamp1Type.PUBLISH }>): Dict {
  if (message.exclude === undefined) return { exclude_me: message.excludeMe ?? true };
  const options: Dict = { exclude_me: false, exclude: sessionIds(message.exclude) };
  if (message.eligible !== undefined) options.eligible = sessionIds(message.eligible);
  return options;
}

/** v1 session IDs are strings (ours are the router's session IDs written out); others match no session. */
function sessionIds(ids: readonly string[]): number[] {
  return ids.map(Number).filter((id) => Number.isSafeInteger(id) && id > 0);
}
