/**
 * An Origin pattern of the config (`allowed_origins` of a websocket path or of an HTTP bridge
 * path) as a regular expression: "*" matches any run of characters, everything else itself, with
 * no regard to case ("https://*.example.com", "http://localhost:*").
 */
export function originPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

/**
 * Whether a WebSocket upgrade's Origin may connect (a websocket path's allowed_origins and
 * allow_null_origin): a request without Origin is no browser's, and is not held to the list.
 */
export function websocketOriginCheck(allowedOrigins: readonly string[], allowNullOrigin: boolean): (origin: string | undefined) => boolean {
  if (allowedOrigins.includes('*')) return () => true;
  const patterns = allowedOrigins.map(originPattern);
  return (origin) => origin === undefined || (origin === 'null' && allowNullOrigin) || patterns.some((pattern) => pattern.test(origin));
}
