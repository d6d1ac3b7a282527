import { TLSSocket } from 'node:tls';
import type { ClientCertificate } from '../auth/tls.js';

/**
 * The certificate a client presented on a TLS connection, as sign-in reads it (auth/tls.ts), or
 * undefined: not TLS, the endpoint did not ask for one (no ca_certificates), or the client sent none.
 */
export function clientCertificateOf(socket: object): ClientCertificate | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  const error = socket.authorizationError;
  return {
    authorized: socket.authorized,
    ...(error ? { authorization_error: String(error) } : {}),
    sha1: peer.fingerprint,
    sha256: peer.fingerprint256,
    subject: commonName(peer.subject),
    issuer: commonName(peer.issuer),
    serial: peer.serialNumber,
    not_before: peer.valid_from,
    not_after: peer.valid_to,
  };
}

function commonName(name: { CN?: string | string[] } | undefined): { cn?: string } {
  const cn = name?.CN;
  // A subject may repeat CN; only a single one names the client unambiguously.
  return typeof cn === 'string' ? { cn } : {};
}
