/**
 * An Origin pattern of the config (`allowed_origins` of a websocket path or of an HTTP bridge
 * path) as a regular expression: "*" matches any run of characters, everything else itself, with
 * no regard to case ("https://*.example.com", "http://localhost:*").
 */
export function originPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}
