/**
 * The path of a request URL as the client sent it, without its query string (or fragment): what
 * a session's `transport.extra.path` shows and what may be logged. A query often carries a
 * credential (`/ws?token=...`, the only way a browser's WebSocket or EventSource can send one),
 * and session listings, webhooks and logs reach people who must not see it. The whole query is
 * dropped rather than its values masked: a bare `?s3cret` has no name to keep apart from a value.
 */
export function requestPath(url: string | undefined): string {
  const raw = url ?? '/';
  const end = raw.search(/[?#]/);
  return end === -1 ? raw : raw.slice(0, end);
}
