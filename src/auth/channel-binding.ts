/**
 * HELLO.Details.authextra.channel_binding that a method does not support, put into words for the
 * refusal. Only a value shaped like a channel binding type name (RFC 5929's "tls-unique",
 * "tls-server-end-point", RFC 9266's "tls-exporter") is repeated back: anything else a client
 * sends there (a long string, an object) would reach the ABORT and the log as it came.
 */
const bindingTypeName = /^[a-z0-9-]{1,32}$/;

/** "channel binding X is not supported by this router (`supported`)", or the form the value must have. */
export function unsupportedChannelBinding(value: unknown, supported: string): string {
  if (typeof value === 'string' && bindingTypeName.test(value)) return `channel binding "${value}" is not supported by this router (${supported})`;
  return `HELLO.Details.authextra.channel_binding must be null or a channel binding type name (at most 32 lower-case letters, digits or dashes, such as "tls-unique"); this router supports ${supported}`;
}
