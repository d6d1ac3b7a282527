import { ErrorUri } from '../protocol/errors.js';
import type { Dict } from '../protocol/messages.js';
import type { AuthRequest } from '../router/hooks.js';
import { DynamicAuthenticator, identityOf, isFailure } from './dynamic.js';
import { fail, type AuthMethod, type Failure } from './method.js';

const method = 'tls';

/**
 * What a transport tells sign-in about the client's TLS certificate, in the session's
 * `transport.extra.client_cert` (Crossbar's name): set only by a transport whose endpoint asked
 * for client certificates, never by the client.
 */
export interface ClientCertificate {
  /** Whether it chains to one of the endpoint's ca_certificates (and is in date). */
  authorized: boolean;
  /** Why not, when not (OpenSSL's words, e.g. "UNABLE_TO_VERIFY_LEAF_SIGNATURE"). */
  authorization_error?: string;
  /** Digests as OpenSSL prints them (and Crossbar gives them): upper-case hex pairs joined by ":". */
  md5: string;
  sha1: string;
  sha256: string;
  /** Whether it was past its not_after at the TLS handshake (Crossbar's has_expired()). */
  expired: boolean;
  /** The name's components as Crossbar gives them, keys in lower case: cn, o, ou, c... (a repeated one is left out). */
  subject: CertificateName;
  issuer: CertificateName;
  /** An integer, as Crossbar's (a BigInt beyond 2^53); beyond 64 bits its decimal digits (client-certificate.ts says why). */
  serial: number | bigint | string;
  /** ASN.1 GeneralizedTime, as Crossbar's: "20260107120000Z". */
  not_before: string;
  not_after: string;
}

export interface CertificateName {
  cn?: string;
  [component: string]: string | undefined;
}

export interface TlsPrincipal {
  role: string;
  /** Crossbar's `certificate-sha1`: the one certificate this principal signs in with. Without it, a trusted certificate whose CN is the authid. */
  certificateSha1?: string;
}

/** "b6:e5:..." or "B6E5..." -> "B6E5...": fingerprints compared however they were written. */
export function fingerprintKey(fingerprint: string): string {
  return fingerprint.replaceAll(':', '').toUpperCase();
}

function certificateOf(request: AuthRequest): ClientCertificate | undefined {
  const certificate = (request.transport.extra as Dict | undefined)?.client_cert;
  return typeof certificate === 'object' && certificate !== null ? (certificate as ClientCertificate) : undefined;
}

/**
 * A refusal the client may hear in full, as Crossbar words its tls denials: it says only what
 * the client itself sent (its certificate), so it gives nothing away.
 */
function refused(why: string, authid?: string): Failure {
  return { ...fail(why, authid), refusal: { reason: ErrorUri.notAuthorized, message: why } };
}

/** The client's certificate when it is present and trusted, else the failure that says which it is not. */
function trustedCertificate(request: AuthRequest): ClientCertificate | Failure {
  const certificate = certificateOf(request);
  if (!certificate) return refused('the client did not send a TLS client certificate');
  if (!certificate.authorized) {
    return refused(`the client certificate (CN "${certificate.subject.cn ?? ''}") is not trusted: ${certificate.authorization_error ?? 'unknown reason'}`, certificate.subject.cn);
  }
  return certificate;
}

/**
 * Sign-in by TLS client certificate against principals from the config, as Crossbar's `tls`
 * method: a principal with `certificate-sha1` owns exactly that certificate; a principal
 * without it is the authid a trusted certificate names in its subject CN. No challenge: the
 * TLS handshake already proved the client holds the certificate's key.
 */
export function staticTls(principals: Record<string, TlsPrincipal>): AuthMethod {
  const byAuthid = new Map(Object.entries(principals));
  const byFingerprint = new Map<string, string>();
  for (const [authid, principal] of byAuthid) {
    if (principal.certificateSha1 !== undefined) byFingerprint.set(fingerprintKey(principal.certificateSha1), authid);
  }
  return {
    name: method,
    begin(request) {
      const certificate = trustedCertificate(request);
      if (isFailure(certificate)) return certificate;
      const cn = certificate.subject.cn;
      const authid = byFingerprint.get(fingerprintKey(certificate.sha1))
        ?? (cn !== undefined && byAuthid.has(cn) && byAuthid.get(cn)!.certificateSha1 === undefined ? cn : undefined);
      const principal = authid === undefined ? undefined : byAuthid.get(authid);
      if (authid === undefined || !principal) return refused(`no principal for the client certificate (CN "${cn ?? ''}", SHA-1 ${certificate.sha1})`, cn);
      return { kind: 'welcome', identity: { authid, authrole: principal.role, authmethod: method, authprovider: 'static' } };
    },
  };
}

/**
 * Sign-in by a trusted TLS client certificate, decided by an application procedure: it gets
 * (realm, authid, details) with the certificate's CN as the authid and the certificate in
 * details.transport where Crossbar's authenticators look for it (`peer_cert`, and `client_cert`,
 * Crossbar's earlier name that its examples read) as well as in transport.extra.client_cert;
 * it answers with a role or a principal dict.
 */
export function dynamicTls(authenticator: DynamicAuthenticator): AuthMethod {
  return {
    name: method,
    async begin(request) {
      const certificate = trustedCertificate(request);
      if (isFailure(certificate)) return certificate;
      const result = await authenticator.ask({
        ...request,
        details: { ...request.details, authid: certificate.subject.cn },
        transport: { ...request.transport, peer_cert: certificate, client_cert: certificate } as AuthRequest['transport'],
      });
      if (isFailure(result)) return result;
      const identity = identityOf(result.principal, { method, provider: authenticator.provider, ...(certificate.subject.cn === undefined ? {} : { claimedAuthid: certificate.subject.cn }) });
      return isFailure(identity) ? identity : { kind: 'welcome', identity };
    },
  };
}
