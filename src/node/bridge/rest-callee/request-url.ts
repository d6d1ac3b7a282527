/**
 * Where a REST-backed procedure sends a request: the configured base URL with the caller's
 * relative `url` appended and the caller's `params` added to the query. The caller may name any
 * resource below the base URL and nothing else: a request that would leave it is refused before
 * anything is sent.
 */

import { urlForLog } from '../../../config/mask-secrets.js';

/** A caller's url that would leave the base URL, or that cannot be read. */
export class BadUrlError extends Error {}

/** Query parameters: a list repeats its name ("?tag=a&tag=b"). */
export type QueryParams = Record<string, string | readonly string[]>;

/** Longest `url` a caller may pass, in characters. */
export const maxRelativeUrlLength = 8192;

const controlCharacter = /[\u0000-\u001f\u007f]/;
const schemePrefix = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Reads the component's base URL; an unusable one fails the component's start with this message. */
export function readBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error(`baseurl "${urlForLog(baseUrl)}" is not an absolute URL (e.g. "http://127.0.0.1:5000/api/")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`baseurl "${urlForLog(baseUrl)}" is not an http: or https: URL`);
  // Credentials in a URL end up in logs and error messages; headers are where secrets belong.
  if (url.username !== '' || url.password !== '') throw new Error('baseurl must not carry a user name or password: put credentials in the component\'s headers');
  if (url.hash !== '') throw new Error(`baseurl "${urlForLog(baseUrl)}" must not have a #fragment`);
  return url;
}

/**
 * The request URL for a caller's relative `url` (appended to the base URL's path; one leading
 * "/" is ignored; "" is the base URL itself) and `params`. Throws BadUrlError with the reason
 * when the url is absolute, scheme-relative, has dot segments (plain or percent-encoded), encoded
 * slashes, backslashes, control characters or a fragment, or when the result leaves the base.
 */
export function joinRequestUrl(base: URL, relative: string, params: QueryParams = {}): URL {
  if (relative.length > maxRelativeUrlLength) throw new BadUrlError(`the url is longer than ${maxRelativeUrlLength} characters`);
  // The URL parser silently drops tabs and newlines, which would hide a ".." from the checks below.
  if (controlCharacter.test(relative)) throw new BadUrlError('the url contains a control character');
  if (relative.includes('\\')) throw new BadUrlError('the url contains a backslash');
  if (relative.includes('#')) throw new BadUrlError('the url contains a #fragment');
  if (relative.startsWith('//')) throw new BadUrlError('the url is scheme-relative ("//host..."): only paths below the base URL may be requested');
  if (schemePrefix.test(relative)) throw new BadUrlError('the url is absolute: only paths below the base URL may be requested');

  const queryAt = relative.indexOf('?');
  const path = (queryAt === -1 ? relative : relative.slice(0, queryAt)).replace(/^\//, '');
  const query = queryAt === -1 ? '' : relative.slice(queryAt + 1);
  checkSegments(path);

  const target = new URL(base.href);
  const directory = directoryOf(base.pathname);
  if (path !== '') target.pathname = directory + path;
  const search = new URLSearchParams(base.search);
  for (const [name, value] of new URLSearchParams(query)) search.append(name, value);
  for (const [name, value] of Object.entries(params)) {
    for (const one of typeof value === 'string' ? [value] : value) search.append(name, one);
  }
  target.search = search.toString();

  // Defence in depth: whatever the checks above missed, the result must still lie below the base.
  const inside = target.origin === base.origin && (target.pathname === base.pathname || target.pathname.startsWith(directory));
  if (!inside) throw new BadUrlError('the url leads outside the base URL');
  return target;
}

function directoryOf(pathname: string): string {
  return pathname.endsWith('/') ? pathname : `${pathname}/`;
}

function checkSegments(path: string): void {
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw new BadUrlError(`the url has a malformed percent-encoding in "${segment}"`);
    }
    if (decoded === '.' || decoded === '..') throw new BadUrlError(`the url has a "${segment}" path segment`);
    if (decoded.includes('/') || decoded.includes('\\')) throw new BadUrlError(`the url has an encoded slash or backslash in "${segment}"`);
  }
}
