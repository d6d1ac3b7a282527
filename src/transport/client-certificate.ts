import { createHash } from 'node:crypto';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import type { CertificateName, ClientCertificate } from '../auth/tls.js';

/**
 * The certificate a client presented on a TLS connection, as sign-in reads it (auth/tls.ts), or
 * undefined: not TLS, the endpoint did not ask for one (no ca_certificates), or the client sent none.
 */
export function clientCertificateOf(socket: object, now: number = Date.now()): ClientCertificate | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  const error = socket.authorizationError;
  return {
    authorized: socket.authorized,
    ...(error ? { authorization_error: String(error) } : {}),
    ...crossbarFields(peer, now),
  };
}

/**
 * The keys Crossbar's extract_peer_certificate gives (autobahn/twisted/util.py), in its formats:
 * digests as OpenSSL prints them, the serial as an integer (see integerOf), the dates as ASN.1 GeneralizedTime
 * ("20260107120000Z"), `expired` as of the handshake.
 */
export function crossbarFields(peer: PeerCertificate, now: number): Omit<ClientCertificate, 'authorized' | 'authorization_error'> {
  return {
    md5: opensslDigest(createHash('md5').update(peer.raw).digest('hex')),
    sha1: peer.fingerprint,
    sha256: peer.fingerprint256,
    expired: now > Date.parse(peer.valid_to),
    serial: integerOf(peer.serialNumber),
    not_before: generalizedTime(peer.valid_from),
    not_after: generalizedTime(peer.valid_to),
    subject: nameOf(peer.subject),
    issuer: nameOf(peer.issuer),
  };
}

/** "b6e5..." -> "B6:E5:...", as OpenSSL (and Node's fingerprint) print a digest. */
function opensslDigest(hex: string): string {
  return hex.toUpperCase().match(/../g)!.join(':');
}

/**
 * Node's hex serial as Crossbar's integer: a number within 2^53, a BigInt within 64 bits. Beyond
 * (most certificates: OpenSSL makes 159-bit random serials) its decimal digits as a string, since
 * neither MessagePack nor the cluster link can carry a wider integer: such a certificate's
 * session would not reach a MessagePack authenticator, nor its meta events the other nodes.
 */
function integerOf(hexSerial: string): number | bigint | string {
  const value = BigInt(`0x${hexSerial}`);
  if (value <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(value);
  return value < 2n ** 64n ? value : value.toString();
}

/** Node's "Jan  7 12:00:00 2026 GMT" as pyOpenSSL's get_notBefore() gives it: "20260107120000Z". */
function generalizedTime(nodeDate: string): string {
  return new Date(nodeDate).toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
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
 * A session's TransportInfo.extra with what TLS adds: the client's certificate under `client_cert`
 * when `socket` has one, and the connection's `channel_id` (Crossbar's name) for cryptosign's
 * `tls-unique` channel binding; `extra` itself when not TLS (a shared object stays shared).
 */
export function withTlsDetails<T extends object>(extra: T, socket: object): T | (T & { client_cert?: ClientCertificate; channel_id: { 'tls-unique': string } }) {
  const channelId = tlsUniqueChannelId(socket);
  if (channelId === undefined) return extra;
  const certificate = clientCertificateOf(socket);
  return { ...extra, ...(certificate === undefined ? {} : { client_cert: certificate }), channel_id: { 'tls-unique': channelId } };
}

/**
 * The TLS connection's `tls-unique` channel ID as Autobahn computes it: the SHA-256 of the
 * Finished message the client sent (hex), which the server reads as its peer's and the client
 * (a router link) as its own; undefined when not TLS or before the handshake.
 */
export function tlsUniqueChannelId(socket: object, side: 'server' | 'client' = 'server'): string | undefined {
  if (!(socket instanceof TLSSocket)) return undefined;
  const finished = side === 'server' ? socket.getPeerFinished() : socket.getFinished();
  return finished === undefined ? undefined : createHash('sha256').update(finished).digest('hex');
}
