/**
 * Whether what a form is about to send fits the console's WebSocket. A message larger than the
 * path's max_message_size makes the router close the connection (1009), which would end the
 * page's session and send the operator back to the sign-in form for a typing mistake: the form
 * refuses it instead, saying why.
 */

/** WAMP's message codes for what the forms send. */
const messageCodes = { publish: 16, call: 48 } as const;

export interface OutgoingMessage {
  kind: keyof typeof messageCodes;
  uri: string;
  options: Record<string, unknown>;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

/** Bytes of the message as JSON, with the largest request ID, so the real one is never larger. */
export function messageBytes({ kind, uri, options, args, kwargs }: OutgoingMessage): number {
  return new TextEncoder().encode(JSON.stringify([messageCodes[kind], Number.MAX_SAFE_INTEGER, options, uri, args, kwargs])).length;
}

/** Why the message cannot be sent, or undefined when it fits in `maxBytes`. */
export function tooLargeToSend(message: OutgoingMessage, maxBytes: number): string | undefined {
  const bytes = messageBytes(message);
  if (bytes <= maxBytes) return undefined;
  const n = (value: number) => value.toLocaleString('en-US');
  return `Too large to send: this ${message.kind} is ${n(bytes)} bytes of JSON, and the console's connection takes messages of at most ${n(maxBytes)} bytes (its max_message_size). Nothing was sent.`;
}
