import type { IncomingMessage } from 'node:http';
import { programEnvironment } from '../../bridge/process/program-environment.js';
import type { ClientAddress } from '../service-context.js';

/** Where a request's script was found, and what the rest of the request is. */
export interface ScriptRequest {
  /** The URL path of the script as the client named it, decoded: the service's path and the segments up to the script ("/cgi-bin/hello.py"). */
  scriptName: string;
  /** The script's real file. */
  scriptFilename: string;
  /** Decoded segments after the script ("/a/b"), or "" when there are none. */
  pathInfo: string;
  /** Bytes of the request body the script reads on stdin. */
  contentLength: number;
  client: ClientAddress;
  /** "Junction/1.2.3". */
  serverSoftware: string;
}

/**
 * Request headers a script never sees as HTTP_*: Content-Type and Content-Length have variables
 * of their own (the length is the body's, as read), and Proxy would become HTTP_PROXY, which
 * many HTTP libraries take as their proxy (httpoxy, CVE-2016-5385).
 */
const notPassedHeaders = new Set(['content-type', 'content-length', 'proxy']);

/**
 * A header name that maps to one variable only: "X-Foo" and "X_Foo" would both give HTTP_X_FOO,
 * letting a client overwrite a header a trusted proxy set; names with "_" (or anything outside
 * letters, digits and "-") are left out, as nginx and Apache do.
 */
const passableHeaderName = /^[A-Za-z0-9-]+$/;

/**
 * The CGI/1.1 environment of one request (RFC 3875 section 4.1, with the variables Twisted's
 * CGIScript sets, which Crossbar runs), and PATH, HOME and LANG like every program Junction runs:
 * nothing else of the router's own environment (its secrets) reaches a script.
 */
export function cgiEnvironment(request: IncomingMessage, script: ScriptRequest): Record<string, string> {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const host = request.headers.host ?? '';
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || notPassedHeaders.has(name) || !passableHeaderName.test(name)) continue;
    variables[`HTTP_${name.toUpperCase().replaceAll('-', '_')}`] = Array.isArray(value) ? value.join(', ') : value;
  }
  return programEnvironment({
    ...variables,
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: script.serverSoftware,
    SERVER_NAME: serverName(host, request.socket.localAddress),
    SERVER_PORT: String(request.socket.localPort ?? ''),
    SERVER_PROTOCOL: `HTTP/${request.httpVersion}`,
    REQUEST_METHOD: request.method ?? 'GET',
    REQUEST_URI: url,
    SCRIPT_NAME: script.scriptName,
    SCRIPT_FILENAME: script.scriptFilename,
    ...(script.pathInfo === '' ? {} : { PATH_INFO: script.pathInfo }),
    QUERY_STRING: queryAt < 0 ? '' : url.slice(queryAt + 1),
    REMOTE_ADDR: script.client.address,
    CONTENT_LENGTH: String(script.contentLength),
    ...(request.headers['content-type'] === undefined ? {} : { CONTENT_TYPE: request.headers['content-type'] }),
    ...(script.client.secure ? { HTTPS: 'on' } : {}),
    // php-cgi refuses to run a script unless a web server says it called it (cgi.force_redirect).
    REDIRECT_STATUS: '200',
  });
}

/** The Host header's name without its port ("[::1]:8080" -> "[::1]"), else the address the request came in on. */
function serverName(host: string, localAddress: string | undefined): string {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return name !== '' ? name : (localAddress ?? '');
}
