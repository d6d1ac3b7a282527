import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { IpRanges } from '../../config/ip-ranges.js';
import type { ClientAddress } from './service-context.js';

/**
 * The client's address for requests of one listener. Behind trusted proxies (nginx...), the
 * X-Forwarded-For chain is read from the right: each hop added by a trusted proxy is skipped,
 * and the first address a trusted proxy did not vouch for is the client. A client can prepend
 * anything it likes to the header, so nothing left of that address is believed.
 * IPv4-mapped IPv6 addresses ("::ffff:10.1.2.3", what a dual-stack socket reports) are given in
 * their IPv4 form, so one client has one address in logs and in the sign-in throttle.
 */
export function clientAddressReader(trustedProxies: readonly string[]): (request: IncomingMessage) => ClientAddress {
  const trusted = new IpRanges(trustedProxies);
  return (request) => {
    const socket = request.socket;
    let address = plainAddress(socket.remoteAddress ?? 'unknown');
    let port = socket.remotePort ?? 0;
    let secure = (socket as TLSSocket).encrypted === true;
    if (!trusted.empty && trusted.has(address)) {
      // The peer is a proxy we trust, so its X-Forwarded-Proto says how the client reached it.
      if (!secure) secure = firstValue(request.headers['x-forwarded-proto'])?.toLowerCase() === 'https';
      const hops = forwardedFor(request.headers['x-forwarded-for']);
      while (hops.length > 0 && trusted.has(address)) {
        address = hops.pop()!;
        port = 0; // the client's port is not forwarded
      }
    }
    // Every address here is a valid IP (a socket's, or a checked hop) or "unknown": only IPv6 has colons.
    const family = address.includes(':') ? 'IPv6' : 'IPv4';
    return { address, port, secure, family, label: `${family === 'IPv6' ? 'tcp6' : 'tcp4'}:${address}:${port}` };
  };
}

/** Valid addresses of an X-Forwarded-For header (one or several), left to right; stops at garbage. */
function forwardedFor(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const hops: string[] = [];
  for (const raw of text.split(',')) {
    if (raw.trim() === '') continue;
    const hop = hopAddress(raw.trim());
    // A hop that is not an address poisons everything left of it: keep only what follows.
    if (hop === undefined) hops.length = 0;
    else hops.push(hop);
  }
  return hops;
}

/** A hop's address; some proxies add a port ("203.0.113.7:4711", "[2001:db8::1]:4711"). */
function hopAddress(hop: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(hop);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(hop);
  const address = bracketed?.[1] ?? withPort?.[1] ?? hop;
  return isIP(address) === 0 ? undefined : plainAddress(address);
}

/** "::ffff:10.1.2.3" -> "10.1.2.3"; any other address unchanged. */
function plainAddress(address: string): string {
  if (address.length < 7 || address.charCodeAt(0) !== 58 /* : */) return address;
  return /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1] ?? address;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  return text?.split(',')[0]?.trim();
}
