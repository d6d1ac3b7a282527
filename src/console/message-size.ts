/**
 * Whether what a form is about to send fits the console's WebSocket. A message larger than the
 * path's max_message_size makes the router close the connection (1009), which would end the
 * page's session and send the operator back to the sign-in form for a typing mistake (and, at
 * sign-in, say no more than that the router cannot be reached): the form refuses it instead,
 * saying why.
 */

/** WAMP's message codes for what the forms send. */
const messageCodes = { hello: 1, authenticate: 5, publish: 16, call: 48 } as const;

const jsonBytes = (value: unknown): number => new TextEncoder().encode(JSON.stringify(value)).length;
const n = (value: number) => value.toLocaleString('en-US');
const maxMessageSizeText = (maxBytes: number) => `its max_message_size is ${n(maxBytes)} bytes`;

export interface OutgoingMessage {
  kind: 'publish' | 'call';
  uri: string;
  options: Record<string, unknown>;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** Bytes of the message as JSON, with the largest request ID, so the real one is never larger. */
export function messageBytes({ kind, uri, options, args, kwargs }: OutgoingMessage): number {
  return jsonBytes([messageCodes[kind], Number.MAX_SAFE_INTEGER, options, uri, args, kwargs]);
}

/** Why the message cannot be sent, or undefined when it fits in `maxBytes`. */
export function tooLargeToSend(message: OutgoingMessage, maxBytes: number): string | undefined {
  const bytes = messageBytes(message);
  if (bytes <= maxBytes) return undefined;
  return `Too large to send: this ${message.kind} is ${n(bytes)} bytes of JSON, and the console's connection takes messages of at most ${n(maxBytes)} bytes (its max_message_size). Nothing was sent.`;
}

/**
 * Why a sign-in cannot be sent, naming the field: a ticket whose AUTHENTICATE ([5, ticket, {}]) is
 * larger than `maxBytes`, or an auth ID whose HELLO would be (counted without the client's roles,
 * so an auth ID just short of it still closes the connection: the router refuses one that long anyway).
 */
export function signInTooLarge(realm: string, authid: string, ticket: string | undefined, maxBytes: number): { field: 'authid' | 'ticket'; problem: string } | undefined {
  if (jsonBytes([messageCodes.hello, realm, { authid }]) > maxBytes) {
    return { field: 'authid', problem: `The auth ID is too long: ${n(jsonBytes(authid) - 2)} bytes, more than the console's connection takes in a message (${maxMessageSizeText(maxBytes)}). Nothing was sent.` };
  }
  if (ticket === undefined) return undefined;
  const overhead = jsonBytes([messageCodes.authenticate, '', {}]);
  const bytes = jsonBytes(ticket) - 2;
  if (overhead + bytes <= maxBytes) return undefined;
  return { field: 'ticket', problem: `The ticket is too long: ${n(bytes)} bytes, and the console's connection takes a ticket of at most ${n(maxBytes - overhead)} bytes (${maxMessageSizeText(maxBytes)}). Nothing was sent.` };
}
