import { maskedMark } from '../config/mask-secrets.js';

/** "scheme://user:pw@" at the start of a URL: the last "@" before the path ends the userinfo. */
const userinfo = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;

/**
 * An outgoing URL (a REST-backed procedure's request, a forwarder's delivery) as logs, metrics and
 * error messages show it: written as configured, except that the user name and password are
 * masked and each query value is masked with its name kept ("?api_key=*****&page=*****"). A base
 * URL or a caller's parameters may carry an API key there, and logs and WAMP errors reach people
 * who must not see it. A query piece without "=" is masked whole: a bare "?s3cret" has no name to
 * keep (transport/request-path.ts drops an incoming URL's query for the same reason). The
 * fragment is dropped: it is never sent. A relative url (a caller's) is masked the same way.
 */
export function urlForLog(url: URL | string): string {
  const text = (typeof url === 'string' ? url : url.href).replace(userinfo, `$1${maskedMark}@`);
  const withoutFragment = text.split('#', 1)[0]!;
  const queryAt = withoutFragment.indexOf('?');
  return queryAt === -1 ? withoutFragment : withoutFragment.slice(0, queryAt) + maskQuery(withoutFragment.slice(queryAt + 1));
}

/** "a=1&b" -> "?a=*****&*****"; an empty query is left out. */
function maskQuery(query: string): string {
  const pieces = query.split('&').filter((piece) => piece !== '');
  if (pieces.length === 0) return '';
  const masked = pieces.map((piece) => {
    const equals = piece.indexOf('=');
    return equals === -1 ? maskedMark : `${piece.slice(0, equals)}=${maskedMark}`;
  });
  return `?${masked.join('&')}`;
}
