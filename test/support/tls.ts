/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with openssl (a Debian package
 * .ci/run installs), for the suites' TLS endpoints. Without openssl the TLS parts skip, with the
 * reason in `skipTls` (under CI=true they fail instead: see debian.ts).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debianNeed, skipWithoutDebian } from './debian.js';

export const skipTls = skipWithoutDebian('openssl');

/** Runs openssl with `args` (quietly); throws if it fails. */
export function openssl(...args: string[]): void {
  execFileSync(debianNeed('openssl').file, args, { stdio: 'ignore' });
}

/** Writes server.key and server.crt (valid one day) into `dir`; undefined when openssl is missing. */
export function selfSignedCertificate(dir: string): { key: string; certificate: string } | undefined {
  if (skipTls) return undefined;
  const key = join(dir, 'server.key');
  const certificate = join(dir, 'server.crt');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certificate,
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  return { key, certificate };
}

/**
 * Certificate authorities and the certificates they sign, made with openssl in `dir` (each valid
 * one day): `<name>.key` and `<name>.crt`. For suites that sign clients in by TLS certificate.
 */
export class TestCertificates {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return join(this.dir, name);
  }

  /** A self-signed certificate authority. */
  authority(name: string, cn: string): void {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', this.file(`${name}.key`), '-out', this.file(`${name}.crt`), '-days', '1',
      '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  }

  /** A certificate with subject `subject` ("/CN=x" or "/CN=x/O=y"), signed by the authority `issuer`, or self-signed without one. */
  issue(name: string, subject: string, issuer?: string, extensions?: string): void {
    const key = this.file(`${name}.key`);
    const certificate = this.file(`${name}.crt`);
    if (issuer === undefined) {
      openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', certificate, '-days', '1', '-subj', subject);
      return;
    }
    const request = this.file(`${name}.csr`);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', request, '-subj', subject);
    const extensionFile = this.file(`${name}.ext`);
    if (extensions !== undefined) writeFileSync(extensionFile, `${extensions}\n`);
    openssl('x509', '-req', '-in', request, '-CA', this.file(`${issuer}.crt`), '-CAkey', this.file(`${issuer}.key`), '-CAcreateserial',
      '-out', certificate, '-days', '1', ...(extensions === undefined ? [] : ['-extfile', extensionFile]));
  }

  /** The server's certificate for 127.0.0.1, signed by `issuer`. */
  server(name: string, issuer: string): void {
    this.issue(name, '/CN=localhost', issuer, 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  }

  /** The SHA-1 fingerprint as OpenSSL prints it (Crossbar's certificate-sha1). */
  sha1(name: string): string {
    return new X509Certificate(readFileSync(this.file(`${name}.crt`))).fingerprint;
  }

  /** Key, certificate and the authority `ca` to trust, as Node's TLS options take them. */
  clientOptions(name: string | undefined, ca: string): { ca: Buffer; key?: Buffer; cert?: Buffer } {
    return {
      ca: readFileSync(this.file(`${ca}.crt`)),
      ...(name === undefined ? {} : { key: readFileSync(this.file(`${name}.key`)), cert: readFileSync(this.file(`${name}.crt`)) }),
    };
  }
}
