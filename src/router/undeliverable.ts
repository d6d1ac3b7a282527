import { MessageType, messageTypeName } from '../protocol/codes.js';
import { toWire, type WampMessage } from '../protocol/messages.js';

/**
 * What to do with a message the router must send to a session but cannot: it is longer than the
 * client's RawSocket handshake allows, or the session's serializer cannot encode it (a payload
 * nested too deeply, a bignum to MessagePack). The message is never sent altered; Junction keeps
 * every exchange ending in an answer, and only this session is affected:
 *
 * - RESULT: the caller gets ERROR `uri` instead. A progressive result also cancels the call
 *   (killnowait) for the caller, and the rest of that call is not sent.
 * - INVOCATION: the callee never sees it; the router gets the callee's ERROR `uri`, which the
 *   dealer passes to the caller.
 * - ERROR: replaced by a short ERROR `uri` that names the original URI.
 * - EVENT: not delivered to this subscriber (logged and counted).
 * - anything else (WELCOME with huge details, ...): ABORT `uri` and close.
 */
export interface UndeliverablePlan {
  /** Short description for the log line. */
  what: string;
  /** Sent to the client in place of the message. */
  instead?: WampMessage;
  /** Handed to the router as if the client had sent it (wire form). */
  onBehalfOfClient?: unknown[];
  /** The CALL request whose further RESULTs and ERRORs are dropped (a progressive result was cut off). */
  forgetCall?: number;
  /** The connection is closed after `instead` was sent. */
  close: boolean;
}

/** `why` completes "<TYPE> ...", e.g. "of 2000 octets exceeds the 1024 octets this RawSocket client accepts". */
export function planForUndeliverable(message: WampMessage, why: string, uri: string): UndeliverablePlan {
  const text = `${messageTypeName(message.type) ?? String(message.type)} ${why}`;
  const errorFor = (requestType: number, request: number, errorText: string): WampMessage =>
    ({ type: MessageType.ERROR, requestType, request, details: {}, error: uri, args: [errorText] });
  switch (message.type) {
    case MessageType.RESULT: {
      const progressive = message.details.progress === true;
      return {
        what: 'result replaced by an error',
        instead: errorFor(MessageType.CALL, message.request, text),
        ...(progressive
          ? { onBehalfOfClient: [MessageType.CANCEL, message.request, { mode: 'killnowait' }], forgetCall: message.request }
          : {}),
        close: false,
      };
    }
    case MessageType.INVOCATION:
      return {
        what: 'invocation answered with an error on behalf of the callee',
        onBehalfOfClient: toWire(errorFor(MessageType.INVOCATION, message.request, text)),
        close: false,
      };
    case MessageType.ERROR:
      return {
        what: 'error replaced by a shorter error',
        instead: errorFor(message.requestType, message.request, `${text} (the error was ${truncate(message.error, 200)})`),
        close: false,
      };
    case MessageType.EVENT:
      return { what: 'event not delivered', close: false };
    default:
      return {
        what: 'session aborted',
        instead: { type: MessageType.ABORT, details: { message: text }, reason: uri },
        close: true,
      };
  }
}

/**
 * Progressive calls cut off at once whose remaining results are being dropped; past this the
 * oldest is let go. A call whose callee cannot be interrupted ends with nothing more for the
 * caller (the router's CANCEL becomes `skip`, as on Crossbar), so its entry only ages out.
 */
const MAX_FORGOTTEN_CALLS = 1_024;

/** CALL requests whose further RESULTs and final ERROR are dropped, after a progressive result could not be sent. */
export class ForgottenCalls {
  private readonly requests = new Set<number>();

  get size(): number {
    return this.requests.size;
  }

  add(request: number): void {
    if (this.requests.size >= MAX_FORGOTTEN_CALLS) this.requests.delete(this.requests.values().next().value!);
    this.requests.add(request);
  }

  /** Whether `message` belongs to a forgotten call (it is then not sent); forgets the call at its end. */
  drops(message: WampMessage): boolean {
    if (this.requests.size === 0) return false;
    if (message.type === MessageType.RESULT && this.requests.has(message.request)) {
      if (message.details.progress !== true) this.requests.delete(message.request);
      return true;
    }
    if (message.type === MessageType.ERROR && message.requestType === MessageType.CALL && this.requests.has(message.request)) {
      this.requests.delete(message.request);
      return true;
    }
    return false;
  }
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}...`;
}
