import { MessageType, messageTypeName } from '../../protocol/codes.js';
import { ErrorUri } from '../../protocol/errors.js';
import { toWire, type WampMessage } from '../../protocol/messages.js';

/**
 * What to do with a message the router must send but that is longer than the client said it
 * can receive (its RawSocket handshake). The spec forbids sending it and leaves the rest to the
 * router; Junction keeps every exchange ending in an answer:
 *
 * - RESULT: the caller gets ERROR wamp.error.payload_size_exceeded instead. A progressive result
 *   also cancels the call (killnowait) for the caller, and the rest of that call is not sent.
 * - INVOCATION: the callee never sees it; the router gets the callee's ERROR
 *   wamp.error.payload_size_exceeded, which the dealer passes to the caller.
 * - ERROR: replaced by a short ERROR wamp.error.payload_size_exceeded that names the original URI.
 * - EVENT: not delivered to this subscriber (logged and counted).
 * - anything else (WELCOME with huge details, ...): ABORT wamp.error.payload_size_exceeded and close.
 */
export interface TooLongPlan {
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

export function planForTooLong(message: WampMessage, length: number, limit: number): TooLongPlan {
  const name = messageTypeName(message.type) ?? String(message.type);
  const text = `${name} of ${length} octets exceeds the ${limit} octets this RawSocket client accepts`;
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
        instead: { type: MessageType.ABORT, details: { message: text }, reason: ErrorUri.payloadSizeExceeded },
        close: true,
      };
  }
}

function errorFor(requestType: number, request: number, text: string): WampMessage {
  return { type: MessageType.ERROR, requestType, request, details: {}, error: ErrorUri.payloadSizeExceeded, args: [text] };
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}...`;
}
