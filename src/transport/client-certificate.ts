import { TLSSocket } from 'node:tls';
import type { CertificateName, ClientCertificate } from '../auth/tls.js';

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
    subject: nameOf(peer.subject),
    issuer: nameOf(peer.issuer),
    serial: peer.serialNumber,
    not_before: peer.valid_from,
    not_after: peer.valid_to,
  };
}

/** {CN: "x", O: "y"} -> {cn: "x", o: "y"}: Crossbar's keys. A repeated component (an array) names nothing unambiguously, so it is left out. */
function nameOf(name: Record<string, string | string[] | undefined> | undefined): CertificateName {
  const components: CertificateName = {};
  for (const [key, value] of Object.entries(name ?? {})) {
    if (typeof value === 'string') components[key.toLowerCase()] = value;
  }
  return components;
}

/**
 * A session's TransportInfo.extra with the client's certificate under `client_cert` (Crossbar's
 * name) when `socket` has one; `extra` itself otherwise (a shared object stays shared).
 */
export function withClientCertificate<T extends object>(extra: T, socket: object): T | (T & { client_cert: ClientCertificate }) {
  const certificate = clientCertificateOf(socket);
  return certificate === undefined ? extra : { ...extra, client_cert: certificate };
}
