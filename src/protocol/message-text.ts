import { MessageType } from './codes.js';
import { ErrorUri } from './errors.js';
import type { Abort, ErrorMessage, Goodbye } from './messages.js';

/** What an ERROR says to a person: its first argument when that is text, else its error URI. */
export function errorText(message: ErrorMessage): string {
  return typeof message.args?.[0] === 'string' ? message.args[0] : message.error;
}

/** What an ABORT says to a person: its details.message when given, else its reason URI. */
export function abortText(message: Abort): string {
  return typeof message.details.message === 'string' ? message.details.message : message.reason;
}

/** The GOODBYE a session answers the router's GOODBYE with, so that the router is not left waiting. */
export function goodbyeAnswer(): Goodbye {
  return { type: MessageType.GOODBYE, details: {}, reason: ErrorUri.goodbyeAndOut };
}
