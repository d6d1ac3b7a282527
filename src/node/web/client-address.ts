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
 */
export function clientAddressReader(trustedProxies: readonly string[]): (request: IncomingMessage) => ClientAddress {
  const trusted = new IpRanges(trustedProxies);
  return (request) => {
    const socket = request.socket;
    let address = socket.remoteAddress ?? 'unknown';
    let port = socket.remotePort ?? 0;
    let secure = (socket as TLSSocket).encrypted === true;
    if (!trusted.empty && trusted.has(address)) {
      const hops = forwardedFor(request.headers['x-forwarded-for']);
      let viaProxy = false;
      while (hops.length > 0 && trusted.has(address)) {
        address = hops.pop()!;
        port = 0;
        viaProxy = true;
      }
      if (viaProxy && !secure) secure = firstValue(request.headers['x-forwarded-proto'])?.toLowerCase() === 'https';
    }
    const family = isIP(address) === 6 ? 'IPv6' : 'IPv4';
    return { address, port, secure, family, label: `${family === 'IPv6' ? 'tcp6' : 'tcp4'}:${address}:${port}` };
  };
}

/** Valid addresses of an X-Forwarded-For header (one or several), left to right; stops at garbage. */
function forwardedFor(header: string | string[] | undefined): string[] {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const hops: string[] = [];
  for (const raw of text.split(',')) {
    const hop = raw.trim();
    if (hop === '') continue;
    // A hop that is not an address poisons everything left of it: keep only what follows.
    if (isIP(hop) === 0) hops.length = 0;
    else hops.push(hop);
  }
  return hops;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  return text?.split(',')[0]?.trim();
}
