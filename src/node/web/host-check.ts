import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { ListenerConfig } from '../../config/model.js';

/**
 * Which requests of a path must name an allowed Host (docs/console.md, "DNS rebinding"):
 * - `always`: every request (the console: its page and its WebSocket);
 * - `browser`: a request a browser sends as same-origin, that is, with an Origin whose host name is
 *   the Host header's: a WebSocket or a POST of a page whose name an attacker pointed at us. A GET of
 *   one carries no Origin, and a request from another origin is not rebinding (the bridge
 *   refuses it itself, origin-check.ts; elsewhere CORS keeps the answer from the page);
 * - `none`: a WAMP transport that any page may reach from its own origin (allowed_origins "*",
 *   long-poll's echoed origin, Pusher): a Host check would refuse without protecting.
 */
export type HostCheck = 'always' | 'browser' | 'none';

/**
 * The Host names a listener answers to when the check applies: IP literals, "localhost", this
 * machine's name, the names the transport is configured with (its endpoint's interface when it is a
 * name, its TLS certificate's names) and its `options.allowed_hosts`. A DNS name an attacker
 * controls and points at us is none of these.
 */
export class HostAllowList {
  private readonly exact: ReadonlySet<string>;
  /** "*.example.com" entries, as ".example.com". */
  private readonly suffixes: readonly string[];
  private readonly any: boolean;

  constructor(names: Iterable<string>) {
    const exact = new Set<string>();
    const suffixes: string[] = [];
    let any = false;
    for (const raw of names) {
      const name = canonicalName(raw);
      if (name === '*') any = true;
      else if (name.startsWith('*.')) suffixes.push(name.slice(1));
      else exact.add(name);
    }
    this.exact = exact;
    this.suffixes = suffixes;
    this.any = any;
  }

  /** `host`: the Host header as sent ("example.com:8080", "[::1]:8080"); none (HTTP/1.0) is no browser's. */
  allows(host: string | undefined): boolean {
    if (host === undefined || this.any) return true;
    const name = hostName(host);
    if (name === undefined) return false;
    if (isIP(name) !== 0 || name === 'localhost' || this.exact.has(name)) return true;
    return this.suffixes.some((suffix) => name.endsWith(suffix) && name.length > suffix.length);
  }
}

/** Whether `request` must name an allowed Host under `check`. */
export function hostCheckApplies(check: HostCheck, request: IncomingMessage): boolean {
  if (check === 'always') return true;
  // Names, not ports: a proxy's "Host $host" drops the port that the page's Origin keeps.
  const urls = check === 'browser' ? originAndHost(request) : undefined;
  return urls !== undefined && urls.origin.hostname === urls.host.hostname;
}

/** Whether the request's Origin names the host and port it was sent to, as a browser's same-origin request does. */
export function originIsHost(request: IncomingMessage): boolean {
  const urls = originAndHost(request);
  return urls !== undefined && urls.origin.host === urls.host.host;
}

/** The request's Origin and Host as URLs; undefined when either is missing or no URL ("null"). */
function originAndHost(request: IncomingMessage): { origin: URL; host: URL } | undefined {
  const { origin, host } = request.headers;
  if (origin === undefined || host === undefined) return undefined;
  try {
    return { origin: new URL(origin), host: new URL(`http://${host}`) };
  } catch {
    return undefined;
  }
}

/** The allow-list of a web, websocket or universal listener. */
export function hostAllowList(config: ListenerConfig): HostAllowList {
  const names = [hostname(), ...(config.allowedHosts ?? []), ...certificateNames(config.endpoint.tls?.certificate)];
  const bound = config.endpoint.interface;
  if (bound && isIP(bound) === 0) names.push(bound);
  return new HostAllowList(names);
}

/**
 * The DNS names and common name of a PEM certificate: a browser reaching us over TLS by another
 * name would have refused the certificate anyway. Unreadable: none (starting the TLS server says why).
 */
export function certificateNames(file: string | undefined): string[] {
  if (file === undefined) return [];
  try {
    const certificate = new X509Certificate(readFileSync(file));
    const alternatives = (certificate.subjectAltName ?? '').split(',').map((entry) => entry.trim())
      .filter((entry) => entry.startsWith('DNS:')).map((entry) => entry.slice(4));
    const common = /^CN=(.+)$/m.exec(certificate.subject)?.[1];
    return common === undefined || isIP(common) !== 0 ? alternatives : [...alternatives, common];
  } catch {
    return [];
  }
}

/**
 * The 421 answer's text: the name to list in allowed_hosts, without the port the Host carries
 * (allowed_hosts takes none); a Host that is no host name at all is quoted as it came.
 */
export function misdirectedMessage(host: string | undefined): string {
  const name = host === undefined ? undefined : hostName(host);
  const quoted = JSON.stringify(name ?? host ?? '');
  const fix = name === undefined ? 'add its name' : `add ${quoted}`;
  return `this router does not answer to the host name ${quoted} (a guard against DNS rebinding): reach it by its IP address or a configured name, or ${fix} to the transport's options.allowed_hosts`;
}

/** "Example.COM." -> "example.com"; "[::1]" -> "::1". */
function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase().replace(/\.$/, '');
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

/** The name of a Host header without its port; undefined when it is no host at all. */
function hostName(host: string): string | undefined {
  try {
    const { hostname: name } = new URL(`http://${host}`);
    // URL also takes "a/b" or "a@b" and makes a hostname of a piece of it: the header must be all host.
    if (name === '' || !/^[a-z0-9.\-[\]:_]+$/i.test(host)) return undefined;
    return canonicalName(name);
  } catch {
    return undefined;
  }
}
