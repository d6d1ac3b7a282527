import type { IncomingMessage } from 'node:http';
import { IpRanges } from '../../../config/ip-ranges.js';
import type { ClientAddress } from '../service-context.js';
import { Refusal, quote } from './refusal.js';

/** Crossbar's bridge accepts POST and PUT (and answers OPTIONS); so does Junction's. */
export const allowedMethods = 'POST, PUT, OPTIONS';

export function checkMethod(method: string | undefined): void {
  if (method === 'POST' || method === 'PUT') return;
  throw new Refusal(405, 'method_not_allowed', `${method ?? 'this method'} is not accepted here: send a POST (or PUT) request`,
    undefined, { allow: allowedMethods });
}

/** Who may post at all: `require_ip` (checked against the client's real address) and `require_tls`. */
export class ClientGate {
  private readonly allowed: IpRanges;

  constructor(requireIp: readonly string[], private readonly requireTls: boolean) {
    this.allowed = new IpRanges(requireIp);
  }

  check(client: ClientAddress): void {
    if (!this.allowed.empty && !this.allowed.has(client.address)) {
      throw new Refusal(403, 'ip_not_allowed', `requests from ${client.address} are not allowed here (require_ip)`);
    }
    if (this.requireTls && !client.secure) {
      throw new Refusal(403, 'tls_required', 'this service accepts requests over HTTPS only (require_tls)');
    }
  }
}

/**
 * The publisher and caller read JSON: a Content-Type, when given, must be application/json with
 * no charset but UTF-8. A request without one is read as JSON anyway, as Crossbar does.
 */
export function checkJsonContentType(request: IncomingMessage): void {
  const header = request.headers['content-type'];
  // The usual header, as most clients write it, needs no parsing.
  if (header === undefined || header === 'application/json' || header.trim() === '') return;
  const [type, ...parameters] = header.split(';').map((part) => part.trim());
  if (type!.toLowerCase() !== 'application/json') {
    throw new Refusal(415, 'unsupported_content_type', `Content-Type ${quote(type!)} is not accepted: send application/json`);
  }
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=');
    const name = (equals < 0 ? parameter : parameter.slice(0, equals)).trim().toLowerCase();
    if (name !== 'charset') continue;
    const charset = parameter.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') {
      throw new Refusal(415, 'unsupported_content_type', `charset ${quote(charset)} is not accepted: JSON bodies must be UTF-8`);
    }
  }
}
